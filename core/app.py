"""The application factory: configuration, database, languages, security, and the domains above core.

Core names none of the domains: the list lives in the top-level `greenmarket.py` (the one module
that knows every layer), read here by name when the caller gives no list of its own.
"""
import importlib
import os

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect

from core import errors, i18n, report
from core.config import load_config, owner_only_file, owner_only_folder
from core.db import bind_database, db, upgrade_schema
from core.validation import ValidationError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The top-level module that lists the domains built on core (its `DOMAINS`, lowest first).
DOMAINS_MODULE = "greenmarket"

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(test_config=None, domains=None):
    """Build the app from the environment (or `test_config`), with its schema up to date.

    `domains` are the packages built on core, lowest first; by default every one `greenmarket.py` lists.
    """
    app = Flask(
        "greenmarket",
        root_path=ROOT,
        instance_path=os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    if test_config and test_config.get("INSTANCE_PATH"):
        app.instance_path = test_config["INSTANCE_PATH"]
    owner_only_folder(app.instance_path)  # it holds the database, the secret key and uploads
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    sqlite_path = app.config["DATABASE_URL"].partition("?")[0].removeprefix("sqlite:///")
    if app.config["DATABASE_URL"].startswith("sqlite:///") and sqlite_path not in ("", ":memory:"):
        # SQLite creates its file (and the -wal and -shm files, which copy its mode) world-readable.
        owner_only_file(sqlite_path)

    bind_database(app.config["DATABASE_URL"])
    if domains is None:
        domains = importlib.import_module(DOMAINS_MODULE).DOMAINS
    domains = [importlib.import_module(name) for name in domains]
    app.extensions["greenmarket_domains"] = tuple(domain.__name__ for domain in domains)
    with db.connection_context():
        from core import models

        upgrade_schema("core", models.MODELS, models.MIGRATIONS)
        for domain in domains:
            upgrade_schema(domain.__name__, domain.models.MODELS, domain.models.MIGRATIONS)

    from core import accounts

    accounts.init_app(app)
    i18n.init_app(app)
    report.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    app.before_request(_refuse_nul_characters)
    app.before_request(_open_connection)
    app.teardown_request(_close_connection)
    app.after_request(_security_headers)

    from core import api, auth, home, privacy_views, views

    home.register(app)
    app.before_request(auth.load_user)
    register_domain(app, auth.bp, views.bp, api=api.bp)
    privacy_views.init_app(app)
    for domain in domains:
        domain.init_app(app)
    return app


def register_domain(app, *page_blueprints, api=None, home=None):
    """Register a domain's pages, its JSON routes and its home-page entries, the same way for every domain.

    The JSON routes are signed by API token, not by a form, so they are exempt from the CSRF check.
    """
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)
    if api is not None:
        app.register_blueprint(api)
        csrf.exempt(api)
    if home is not None:
        home.register(app)


def _open_connection():
    """Borrow a connection from the pool for this request."""
    db.connect(reuse_if_open=True)


def _close_connection(exc):
    """Give the connection back to the pool (a transaction left open is rolled back there)."""
    if not db.is_closed():
        db.close()


def _refuse_nul_characters():
    """A NUL character in the address or a form is never real input; PostgreSQL cannot even store it."""
    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        raise ValidationError({"request": _l("The request contains a NUL character. Check what was typed or scanned.")})


def _security_headers(response):
    """Harden every answer; never let a browser store what a signed-in person was shown.

    A refusal made before the user is loaded (an expired form, a NUL character) has no `g.user`,
    so the session's user id counts as signed in too.
    """
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if getattr(g, "user", None) is not None or "user_id" in session:
        response.headers.setdefault("Cache-Control", "no-store")
    # Static files keep Flask's own "no-cache" with an ETag: a phone revalidates with a small 304,
    # and a new POS script reaches every tablet on its next visit.
    response.headers.add("Vary", "Cookie")
    response.headers.add("Vary", "Accept-Language")  # a visitor's first page follows the phone's language
    return response
