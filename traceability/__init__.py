"""Traceability: harvest batches, their self-checking codes, QR label sheets, the shopper's trace page.

Builds on certificates and core. Never imports market; the market asks this package for a batch
by code (`batches.find_batch`) and whether it may be sold.
"""
from traceability import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the batch pages, the public trace page and the JSON routes."""
    from core import hooks
    from core.app import csrf
    from traceability import api, batches, home, public, views

    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    home.register(app)
    hooks.add_farm_harvests(app, batches.farm_harvests)
