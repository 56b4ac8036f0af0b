"""Staff accounts: passwords (argon2id), roles, sign-in with a brake on guessing, API tokens."""
import datetime
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import Prepared, db, utcnow
from core.models import ROLES, ApiToken, LoginAttempt, User
from core.validation import Form, ValidationError

# Sign-in brake: after this many failures in the window, that username (or address) waits.
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = datetime.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
# zxcvbn's score 0-4; 2 is "somewhat guessable" (about 10^8 guesses): out of reach through the
# sign-in brake, while a cashier can still remember it. 0-1 are common passwords, names, repeats.
MIN_PASSWORD_SCORE = 2
# Words a guesser would try first here, besides the account's own names.
MARKET_WORDS = ["greenmarket", "khlonghae", "klonghae", "songkhla", "market", "organic", "ตลาดเขียว", "คลองแห"]

password_hasher = PasswordHasher()


def init_app(app):
    """Hash new passwords at the cost the settings name; a stored hash is checked at the cost it carries."""
    global password_hasher
    password_hasher = PasswordHasher(**app.config["PASSWORD_HASH_PARAMETERS"])


class TooManyAttempts(Exception):
    """Sign-in refused for now because of repeated failures."""


def hash_password(password):
    return password_hasher.hash(password)


def check_password(user, password):
    try:
        return password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _clean_user(data, partial, creating, names=()):
    """Check account input; `names` are the account's own names, which its password must not lean on."""
    form = Form(data, partial=partial)
    if creating:
        form.text(
            "username",
            40,
            required=True,
            pattern=r"[A-Za-z0-9_.-]+",
            pattern_message=_l("Use letters a-z, digits, dot, dash or underscore."),
        )
    form.text("full_name", 120)
    form.choice("role", ROLES, required=True)
    form.boolean("is_active")
    form.boolean("is_committee")
    form.text("password", 200, required=creating)
    cleaned = form.finish()
    password = cleaned.pop("password", None)
    if password:
        problem = password_problem(password, [cleaned.get("username"), cleaned.get("full_name"), *names])
        if problem:
            raise ValidationError({"password": problem})
    return cleaned, password


def password_problem(password, names=()):
    """Why a password is too weak (too short, or easy to guess from common passwords and these names), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    # Imported here: its word lists cost the server 13 MB and 26 ms at start-up, for a rare action.
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=[n for n in names if n] + MARKET_WORDS)["score"] < MIN_PASSWORD_SCORE:
        return _l("This password is too easy to guess (a common password, a name, a word of the market or a "
                  "repeat). Add two or three unusual words, digits or signs.")
    return None


def create_user(data, by_user=None):
    """Create a staff account; the username must be new."""
    cleaned, password = _clean_user(data, partial=False, creating=True)
    if "is_active" not in (data or {}):
        cleaned["is_active"] = True  # a new account is usable unless said otherwise
    with db.atomic():
        if User.select().where(User.username == cleaned["username"]).exists():
            raise ValidationError({"username": _l("This username is already taken.")})
        user = User.create(password_hash=hash_password(password), **cleaned)
        audit.record(by_user, "create", "user", user.id, {"username": (None, user.username),
                                                          "role": (None, user.role)})
    return user


def update_user(user, data, by_user):
    """Change a staff account's name, role, active flag or password."""
    cleaned, password = _clean_user(data, partial=True, creating=False, names=[user.username, user.full_name])
    if by_user and by_user.id == user.id and (
        cleaned.get("role", user.role) != "admin" or cleaned.get("is_active") is False
    ):
        raise ValidationError({"role": _l("You cannot remove your own admin rights.")})
    with db.atomic():
        changes = audit.apply_changes(user, cleaned)
        if password:
            user.password_hash = hash_password(password)
            changes["password"] = ("***", "***")
        user.save()
        if changes:
            audit.record(by_user, "update", "user", user.id, changes)
    return user


def authenticate(username, password, address):
    """Return the active user for these credentials, or None; raise TooManyAttempts when braked."""
    since = utcnow() - FAILURE_WINDOW
    failures = LoginAttempt.select().where(
        (LoginAttempt.at >= since) & (LoginAttempt.succeeded == False)  # noqa: E712
    )
    if (
        failures.where(LoginAttempt.username == username).count() >= MAX_FAILURES_PER_USERNAME
        or failures.where(LoginAttempt.ip == address).count() >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyAttempts()
    user = User.get_or_none(User.username == username)
    ok = user is not None and user.is_active and check_password(user, password)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which names exist.
        password_hasher.hash(password or "x")
    LoginAttempt.create(username=username[:40], ip=address[:64], succeeded=ok)
    return user if ok else None


def _token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user):
    """Make a new API token for the user and return it; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    ApiToken.create(user=user, token_hash=_token_digest(token))
    return token


def revoke_tokens(user):
    """Delete every API token of `user`; return how many there were."""
    return ApiToken.delete().where(ApiToken.user == user).execute()


_TOKEN = Prepared(lambda digest: ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == digest).limit(1))


def user_for_token(token):
    """Return the active user a bearer token belongs to, or None."""
    row = _TOKEN.first(_token_digest(token))
    if row is None or not row.user.is_active:
        return None
    return row.user
