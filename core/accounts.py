"""Staff accounts: passwords (argon2id), roles, sign-in with a brake on guessing, API tokens."""
import datetime
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from peewee import fn

from core import audit
from core.db import Prepared, db, is_sqlite, utcnow, write_transaction
from core.models import ROLES, ApiToken, LoginAttempt, User
from core.validation import Boolean, Choice, Schema, Text, ValidationError

# The sign-in brake (SECURITY.md): failures are counted per name and address pair, so guesses
# from elsewhere never lock the real user out; past the free failures each try waits longer.
FREE_FAILURES_PER_PAIR = 5  # one name from one address: a person who mistypes a few times
# Wider counts catch guessing spread over many names or addresses; they brake only sign-ins
# from devices not known to the name, so the people behind a shared router keep working.
FREE_FAILURES_PER_USERNAME = 20  # one name from every address
FREE_FAILURES_PER_ADDRESS = 50  # one address for every name
# A device known to a name (it signed in as that name before) has its own count.
FREE_FAILURES_PER_KNOWN_DEVICE = 10
FAILURE_WINDOW = datetime.timedelta(minutes=15)  # failures older than this are forgotten
FIRST_WAIT = datetime.timedelta(minutes=1)  # the wait after the free failures, doubling each time
LONGEST_WAIT = datetime.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
# A grower may choose digits instead of a password, but only on a phone the app remembers; the
# sign-in brake's 5 free tries per device keep a 6-digit PIN out of a guesser's reach there.
MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 12
# A grower account has no password until its invitation is used: no argon2 hash matches this.
NO_PASSWORD_YET = "!"
# zxcvbn's score 0-4; 2 is "somewhat guessable" (about 10^8 guesses): out of reach through the
# sign-in brake, while a cashier can still remember it. 0-1 are common passwords, names, repeats.
MIN_PASSWORD_SCORE = 2
# Words a guesser would try first here, besides the account's own names.
MARKET_WORDS = ["greenmarket", "khlonghae", "klonghae", "songkhla", "market", "organic", "ตลาดเขียว", "คลองแห"]

password_hasher = PasswordHasher()
# PostgreSQL advisory lock that serialises the sign-in count (SQLite's BEGIN IMMEDIATE does it there).
SIGN_IN_LOCK = 0x5157  # any fixed number no other part of the app locks


def init_app(app):
    """Hash new passwords at the cost the settings name; a stored hash is checked at the cost it carries."""
    global password_hasher
    password_hasher = PasswordHasher(**app.config["PASSWORD_HASH_PARAMETERS"])


class TooManyAttempts(Exception):
    """Sign-in refused for now because of repeated failures; `wait` says for how long."""

    def __init__(self, wait):
        super().__init__(wait)
        self.wait = wait


def hash_password(password):
    return password_hasher.hash(password)


def check_password(user, password):
    return check_password_hash(user.password_hash, password)


def check_password_hash(password_hash, password):
    """True when `password` matches the argon2 hash; always one full check, whatever the answer."""
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Account(Schema):
    """An account as the admin writes it: a username (fixed once made), name, role, flags and a new password."""

    username = Text(40, required=True, pattern=r"[A-Za-z0-9_.-]+",
                    pattern_message=_l("Use letters a-z, digits, dot, dash or underscore."))
    full_name = Text(120)
    role = Choice(ROLES, required=True)
    is_active = Boolean()
    is_committee = Boolean()
    password = Text(200)


class StaffAccount(Account):
    """A new account that signs in with a password from the start (a grower's may wait for its invitation)."""

    password = Text(200, required=True)


def _clean_user(data, schema, partial=False, omit=(), names=()):
    """Check account input; `names` are the account's own names, which its password must not lean on."""
    cleaned = schema.clean(data, partial, omit)
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


def pin_problem(pin):
    """Why digits cannot be a PIN (too short or long, not all digits, one digit repeated or counted up/down), or None."""
    if not (pin.isascii() and pin.isdigit()) or not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        return _l("A PIN is %(low)d to %(high)d digits.", low=MIN_PIN_LENGTH, high=MAX_PIN_LENGTH)
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    if steps in ({0}, {1}, {-1}):
        return _l("This PIN is too easy to guess (one digit repeated, or counting). Choose other digits.")
    return None


def _household_rule(role, household):
    """A grower account belongs to exactly one household; a staff account to none."""
    if role == "grower" and household is None:
        raise ValidationError({"household": _l("A grower account belongs to one household: name its code.")})
    if role != "grower" and household is not None:
        raise ValidationError({"role": _l("Only a grower account belongs to a household.")})


def create_user(data, by_user=None, household=None):
    """Create an account; the username must be new. A grower's belongs to `household` and may wait for its invitation.

    A grower account made without a password cannot sign in until the member sets one (or a PIN)
    from the invitation card (core.invitations).
    """
    data = data or {}
    cleaned, password = _clean_user(data, Account if data.get("role") == "grower" else StaffAccount)
    _household_rule(cleaned["role"], household)
    if "is_active" not in data:
        cleaned["is_active"] = True  # a new account is usable unless said otherwise
    with db.atomic():
        if User.select().where(User.username == cleaned["username"]).exists():
            raise ValidationError({"username": _l("This username is already taken.")})
        user = User.create(password_hash=hash_password(password) if password else NO_PASSWORD_YET,
                           household=household, **cleaned)
        changes = {"username": (None, user.username), "role": (None, user.role)}
        if household is not None:
            changes["household"] = (None, household.code)
        audit.record(by_user, "create", "user", user.id, changes)
    return user


def update_user(user, data, by_user):
    """Change a staff account's name, role, active flag or password."""
    cleaned, password = _clean_user(data, Account, partial=True, omit=("username",),
                                  names=[user.username, user.full_name])
    if (cleaned.get("role", user.role) == "grower") != (user.role == "grower"):
        raise ValidationError({"role": _l("A grower account stays a grower account, and a staff account stays staff.")})
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


def _wait_after(failures, free):
    """How long the next try must wait after these failures (a query), given `free` ones without a wait."""
    count = failures.count()
    if count < free:
        return datetime.timedelta(0)
    last = failures.select(fn.MAX(LoginAttempt.at)).scalar()
    wait = min(FIRST_WAIT * 2 ** (count - free), LONGEST_WAIT)
    return max(datetime.timedelta(0), last + wait - utcnow())


def _brake(username, address, device):
    """How long this sign-in must wait; zero when it may try now."""
    failures = LoginAttempt.select().where(
        (LoginAttempt.at >= utcnow() - FAILURE_WINDOW) & (LoginAttempt.succeeded == False)  # noqa: E712
    )
    if device:
        return _wait_after(failures.where((LoginAttempt.username == username) & (LoginAttempt.device == device)),
                           FREE_FAILURES_PER_KNOWN_DEVICE)
    unknown = failures.where(LoginAttempt.device == "")
    return max(
        _wait_after(unknown.where((LoginAttempt.username == username) & (LoginAttempt.ip == address)),
                    FREE_FAILURES_PER_PAIR),
        _wait_after(unknown.where(LoginAttempt.username == username), FREE_FAILURES_PER_USERNAME),
        _wait_after(unknown.where(LoginAttempt.ip == address), FREE_FAILURES_PER_ADDRESS),
    )


@functools.cache
def _stand_in_hash():
    """A hash to check a password against when there is no account to check it with."""
    return password_hasher.hash(secrets.token_hex(16))


def authenticate(username, password, address, device=""):
    """Return the active user for these credentials, or None; raise TooManyAttempts when braked.

    `device` is the id of a device known to this name (see core.auth), or "". The try is
    counted as a failure before the password is checked, in a transaction that serialises
    every sign-in's count, so 16 tries at once get exactly the free number of checks. Every
    refusal (unknown name, disabled account, wrong password, braked) costs one password check,
    so the answer's timing tells nothing about the account. A PIN account signs in only from a
    device known to its name: from any other its right PIN is refused like a wrong one.
    """
    username, address = username[:40], address[:64]
    with write_transaction():
        if not is_sqlite():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SIGN_IN_LOCK,))
        wait = _brake(username, address, device)
        attempt = None if wait else LoginAttempt.create(username=username, ip=address, device=device, succeeded=False)
    user = User.get_or_none(User.username == username)
    matches = check_password_hash(user.password_hash if user and attempt else _stand_in_hash(), password)
    if attempt is None:
        raise TooManyAttempts(wait)
    if not (matches and user is not None and user.is_active) or (user.uses_pin and not device):
        return None
    LoginAttempt.update(succeeded=True).where(LoginAttempt.id == attempt.id).execute()
    return user


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
