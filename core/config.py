"""Configuration from the environment, with defaults that run the market on one machine.

Every variable read here is documented in README.md (a test checks it).
"""
import datetime
import os
import secrets

ENVIRONMENT_VARIABLES = ("DATABASE_URL", "GREENMARKET_BASE_URL", "SECRET_KEY", "TRUST_PROXY_HEADERS")
# A key that signs sessions must not be guessable offline from one signed cookie: 32 bytes at least
# (the generated key has 64 hex digits).
MIN_SECRET_KEY_BYTES = 32


class ConfigurationError(Exception):
    """A setting the app refuses to start with; the message says what to do."""


def secret_key(instance_path):
    """Use SECRET_KEY, else a key generated once and kept in the instance folder; refuse a weak one."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if len(key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigurationError(
                f"SECRET_KEY is too short ({len(key.encode())} bytes; at least {MIN_SECRET_KEY_BYTES}). "
                "Set a long random one, such as the output of: python -c \"import secrets; print(secrets.token_hex(32))\", "
                "or unset SECRET_KEY to let the app make one. "
                f"(SECRET_KEY สั้นเกินไป ต้องยาวอย่างน้อย {MIN_SECRET_KEY_BYTES} ไบต์)")
        return key
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    with open(path) as key_file:
        return key_file.read().strip()


def owner_only_folder(path):
    """Make `path` (and missing parents) a folder only the app's own user can enter: 0700."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def owner_only_file(path):
    """Create `path` empty, readable and writable by the app's own user only (0600), if it is missing;
    an existing file of ours is tightened to 0600."""
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


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
        # argon2id cost of a password hash: argon2-cffi's default (RFC 9106's low-memory choice,
        # 3 passes over 64 MiB, about 50 ms a sign-in here). Only the tests lower it.
        "PASSWORD_HASH_PARAMETERS": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    }
