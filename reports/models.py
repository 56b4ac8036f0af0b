"""The reports keep no tables of their own: they read the other domains' (the app factory asks)."""

MODELS = []
MIGRATIONS = []
