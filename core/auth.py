"""Signing in and out, choosing the language, and the role checks every view goes through."""
import functools
import hashlib
import math
import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.http import parse_list_header

from core import accounts, invitations
from core.i18n import LANGUAGE_COOKIE, LANGUAGES
from core.models import STAFF_ROLES, User
from core.validation import ValidationError

bp = Blueprint("auth", __name__)

# When the session signed in (seconds since the epoch), kept inside the signed cookie.
SIGNED_IN_AT = "signed_in_at"
# A mark of the password (or PIN) the session signed in with: a new one ends every older session,
# so a lost phone is signed out once its member's account gets a new card.
SECRET_MARK = "secret_mark"
# A browser that signed in as a name before carries this signed cookie; the sign-in brake counts
# its failures apart, so an attacker's guesses elsewhere never keep the real user out.
DEVICE_COOKIE = "known_device"
DEVICE_COOKIE_DAYS = 365
DEVICE_NAMES = 10  # names remembered per device: a shared counter tablet has a few cashiers


def load_user():
    """Find who is signed in (session) for this request; the API also accepts bearer tokens.

    A session ends PERMANENT_SESSION_LIFETIME after signing in, however often it is used: Flask
    re-signs the cookie on every request, so the cookie's own age never reaches the limit while
    a tablet stays in use. A session signed before this rule has no sign-in time; its clock starts
    now (a copy of its old cookie still dies by the cookie's own age).
    """
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = int(time.time())
    if SIGNED_IN_AT not in session:
        session[SIGNED_IN_AT] = now
    fresh = now - session[SIGNED_IN_AT] <= current_app.permanent_session_lifetime.total_seconds()
    user = User.get_or_none(User.id == user_id)
    if fresh and user is not None and user.is_active and session.get(SECRET_MARK, secret_mark(user)) == secret_mark(user):
        g.user = user
        return
    session.clear()
    if not fresh:
        flash(_("You were signed in for %(hours)d hours, so you were signed out. Sign in again.",
                hours=current_app.permanent_session_lifetime.total_seconds() // 3600), "info")


def secret_mark(user):
    """A short digest of the account's password hash, kept in its sessions (never the hash itself)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def role_required(*roles):
    """Let the view run only for a signed-in user with one of `roles`; others get 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if not g.user.has_role(*roles):
                abort(403)
            return view(**kwargs)

        wrapped.roles = roles
        return wrapped

    return decorator


def login_required(view):
    """Let any signed-in staff member through; a grower is refused like any role not named."""
    return role_required(*STAFF_ROLES)(view)


def grower_required(view):
    """Let only a grower through (to their own household's pages: see current_household); staff get 403."""
    return role_required("grower")(view)


def current_household():
    """The household of the signed-in grower, or None for staff and visitors.

    A grower's pages and API routes read their household from here, never from the address, so a
    grower can never ask for another household's records.
    """
    user = g.get("user")
    if user is None or user.role != "grower":
        return None
    return user.household


def _safe_next(target):
    """Follow `next` only to a path on this site, never to another host.

    Browsers and Werkzeug drop tabs and newlines from a URL, so `/<tab>/evil.example` would
    become `//evil.example`: any control character or backslash makes the target unsafe.
    """
    if (target and target.startswith("/") and not target.startswith("//")
            and not any(ord(char) < 32 or char in "\\\x7f" for char in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("core.home")


def client_address():
    """The address of the device signing in.

    X-Forwarded-For is believed only when the app is configured to run behind a proxy
    (TRUST_PROXY_HEADERS); otherwise anyone could dodge the per-address sign-in brake.
    """
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and current_app.config.get("TRUST_PROXY_HEADERS"):
        return parse_list_header(forwarded)[-1]
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("core/login.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    device = _known_device()
    try:
        user = accounts.authenticate(username, password, client_address(),
                                     device["id"] if username in device["users"] else "")
    except accounts.TooManyAttempts as braked:
        minutes = max(1, math.ceil(braked.wait.total_seconds() / 60))
        flash(_("Too many failed sign-ins with this name from this device. Wait %(minutes)d minutes and try "
                "again; on a device where you signed in before you can sign in at once.", minutes=minutes), "error")
        response = make_response(render_template("core/login.html", username=username), 429)
        response.headers["Retry-After"] = str(math.ceil(braked.wait.total_seconds()))
        return response
    if user is None:
        flash(_("Wrong username or password."), "error")
        if password.isdigit():  # said for any digits, so it tells nothing about the account
            flash(_("A PIN works only on the phone where the account was set up. On another phone, use your "
                    "password, or ask the council secretariat for a new invitation card."), "info")
        return render_template("core/login.html", username=username), 401
    return _start_session(user, device, _safe_next(request.args.get("next")))


def _start_session(user, device, target):
    """Sign `user` in on this browser and send it to `target`; the browser becomes a device known to the name."""
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session[SIGNED_IN_AT] = int(time.time())
    session[SECRET_MARK] = secret_mark(user)
    response = redirect(target)
    _remember_device(response, device, user.username)
    return response


# What each refused invitation link says: why, and what to do (always: ask the secretariat).
_INVITATION_REFUSALS = {
    "unknown": (404, _l("This invitation link is not known. Check that the whole link was opened, or ask the "
                        "council secretariat for a new invitation card.")),
    "expired": (410, _l("This invitation has expired. Ask the council secretariat to print a new invitation card.")),
    "used": (410, _l("This invitation was already used to set up the account. Sign in, or if you cannot, ask the "
                     "council secretariat for a new invitation card.")),
    "void": (410, _l("A newer invitation card replaced this one. Use the newest card, or ask the council "
                     "secretariat for a new one.")),
    "disabled": (403, _l("This account is disabled. Ask the council secretariat.")),
}


def _refused_invitation(reason):
    status, message = _INVITATION_REFUSALS[reason]
    return render_template("core/invitation_refused.html", message=message), status


def _not_stored(page, status=200):
    """The set-up page names the account: a shared phone's browser must keep no copy of it."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token):
    """Set up a grower's account from the invitation card's link: a password or a PIN, then signed in on this phone."""
    try:
        found = invitations.find_invitation(token)
    except invitations.InvitationRefused as refused:
        return _refused_invitation(refused.reason)
    if request.method == "GET":
        return _not_stored(render_template("core/invitation.html", account=found.user, values={"kind": "pin"},
                                           errors={}))
    data = request.form.to_dict()
    try:
        account = invitations.set_up_account(token, data)
    except invitations.InvitationRefused as refused:
        return _refused_invitation(refused.reason)
    except ValidationError as exc:
        values = {"kind": data.get("kind", "pin")}
        return _not_stored(render_template("core/invitation.html", account=found.user, values=values,
                                           errors=exc.errors), 400)
    return _start_session(account, _known_device(), url_for("core.home"))


@bp.route("/account-ready")
@grower_required
def account_ready():
    """Where a grower lands until the grower's own pages are installed: the account works."""
    return render_template("core/account_ready.html", household=current_household())


def _device_signer():
    return URLSafeSerializer(current_app.secret_key, salt="known-device")


def _known_device():
    """This browser's known-device cookie: its id and the names that signed in on it (else a new id)."""
    try:
        device = _device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        device = None
    if not (isinstance(device, dict) and isinstance(device.get("id"), str) and isinstance(device.get("users"), list)):
        return {"id": secrets.token_hex(16), "users": []}
    return device


def _remember_device(response, device, username):
    """Mark this browser as known to `username` for a year (a signed cookie the brake trusts)."""
    users = [name for name in device["users"] if name != username][-(DEVICE_NAMES - 1):] + [username]
    response.set_cookie(
        DEVICE_COOKIE, _device_signer().dumps({"id": device["id"], "users": users}), max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>")
def set_language(code):
    """Switch the interface language; remembered in a cookie for a year, Secure behind https like the session."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(_safe_next(request.args.get("next")))
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
