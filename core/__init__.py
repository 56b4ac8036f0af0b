"""The kernel of the green market: app factory, database, accounts, i18n and the central data.

Nothing in core imports from certificates, traceability or market; those build on core.
"""
from core.app import create_app

__all__ = ["create_app"]
