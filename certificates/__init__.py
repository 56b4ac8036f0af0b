"""Certification: farm records, inspections (PGS and third-party), decisions and certificates.

Builds on core (households, plots, products, accounts). Never imports traceability or market;
they ask this package one question through `certification.certification_status`.
"""
from certificates import models  # noqa: F401  (the app factory reads models.MODELS)


def init_app(app):
    """Register the certification pages, public verification and JSON routes."""
    from certificates import api, home, inspections, public, views
    from core import hooks, privacy
    from core.app import register_domain

    register_domain(app, views.bp, public.bp, api=api.bp, home=home)
    hooks.add_household_section(app, "certificates/_household_certification.html", views.household_section)
    if inspections.erase_inspector not in privacy.ERASERS:
        privacy.ERASERS.append(inspections.erase_inspector)
