"""No tables of its own: what a grower records lands in certificates' farm records and traceability's batches."""

MODELS = []
MIGRATIONS = []
