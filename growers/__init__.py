"""The grower's own phone: today, the farm diary, harvests, sales and payouts of one household.

The top layer: it reads market, traceability, certificates and core, and nothing imports it but
the app factory. Every page and API route serves only the signed-in grower's own household.
"""
from growers import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the grower's pages and `/api/v1/me/...`; a grower lands on Today after signing in."""
    from core import hooks
    from core.app import register_domain
    from growers import api, views

    register_domain(app, views.bp, api=api.bp)
    hooks.set_landing(app, "grower", "growers.today")
