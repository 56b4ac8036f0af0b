"""Traceability: harvest batches, their self-checking codes, QR label sheets, the shopper's trace page.

Builds on certificates and core. Never imports market; the market asks this package for a batch
by code (`batches.find_batch`) and whether it may be sold.
"""
from traceability import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the batch pages, the public trace page and the JSON routes."""
    from core import hooks
    from core.app import register_domain
    from traceability import api, batches, home, public, views

    register_domain(app, views.bp, public.bp, api=api.bp, home=home)
    hooks.add_farm_harvests(app, batches.farm_harvests)
