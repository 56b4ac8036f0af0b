"""What reads every domain: the council's dashboard, income impact, mass balance, recall reports.

The top layer: builds on market, traceability, certificates and core, and nothing imports it
(a test checks Python imports and templates). The report model and its renderers are in
core/report.py, because the market's Z-report uses them too.
"""
from reports import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the report pages and their menu entries."""
    from core.app import register_domain
    from reports import home, views

    register_domain(app, views.bp, home=home)
