"""The market: the POS at the counter, sales, market days and cash, settlements with households.

Builds on traceability (batches and codes), certificates (may this batch be sold as certified)
and core. Nothing imports market.
"""
from market import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the POS, the market-day and settlement pages, the public receipt and the JSON routes."""
    from core.app import register_domain
    from market import api, home, public, views

    register_domain(app, views.bp, public.bp, api=api.bp, home=home)
