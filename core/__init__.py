"""The kernel of the green market: app factory, database, accounts, i18n and the central data.

Nothing in core imports from or names the packages built on it (certificates, traceability, market,
listed in the top-level greenmarket.py); their pages reach core's through core.hooks.
"""
from core.app import create_app

__all__ = ["create_app"]
