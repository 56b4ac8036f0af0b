"""Configuration from the environment, with defaults that run the market on one machine.

Every variable read here is documented in README.md (a test checks it).
"""
import datetime
import os
import secrets

ENVIRONMENT_VARIABLES = ("DATABASE_URL", "GREENMARKET_BASE_URL", "SECRET_KEY", "TRUST_PROXY_HEADERS")


def secret_key(instance_path):
    """Use SECRET_KEY, else a key generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    with open(path) as key_file:
        return key_file.read().strip()


def load_config(instance_path):
    """Return the settings for an app whose instance folder is `instance_path`."""
    base_url = os.environ.get("GREENMARKET_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    default_db = "sqlite:///" + os.path.join(instance_path, "greenmarket.db")
    return {
        "SECRET_KEY": secret_key(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "GREENMARKET_BASE_URL": base_url,
        # Believe X-Forwarded-For only behind a reverse proxy that sets it ("1"); never by default.
        "TRUST_PROXY_HEADERS": os.environ.get("TRUST_PROXY_HEADERS", "") == "1",
        # Spreadsheets of the whole registry stay far below this; bigger uploads get a 413.
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        # A counter stays signed in for a whole market day.
        "PERMANENT_SESSION_LIFETIME": datetime.timedelta(hours=14),
        # CSRF tokens live as long as the session: a form left open all morning still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        # Thailand has no daylight saving: local time is always UTC+7.
        "UTC_OFFSET_HOURS": 7,
        "PAGE_SIZE": 50,
        # argon2id cost of a password hash: argon2-cffi's default (RFC 9106's low-memory choice,
        # 3 passes over 64 MiB, about 50 ms a sign-in here). Only the tests lower it.
        "PASSWORD_HASH_PARAMETERS": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    }
