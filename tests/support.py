"""Constants and helpers the test modules share (fixtures live in conftest.py)."""
import importlib
import os

from core.app import DOMAIN_PACKAGES
from core import models as core_models

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"


def all_models():
    """Every table of core and of each domain package, in dependency order."""
    tables = list(core_models.MODELS)
    for name in DOMAIN_PACKAGES:
        tables += importlib.import_module(f"{name}.models").MODELS
    return tables


def database_rows():
    """Every row of every table, to prove that a refused request changed nothing."""
    return {t.__name__: list(t.select().order_by(t._meta.primary_key).tuples()) for t in all_models()}
