"""Grower accounts: made by the secretariat for a household member, set up by the member from an invitation card.

The card carries a one-time link (a QR code). Only the link's SHA-256 is stored; it works for
INVITATION_DAYS, once, and printing a new card for the same account voids the old one (a lost
phone). Opening it, the member chooses a password or a PIN; a PIN works only on the phone that
set it up (core.auth remembers that device). Nothing here ever tells whether an account exists
to someone without a live link.
"""
import datetime
import hashlib
import io
import re
import secrets

from flask_babel import lazy_gettext as _l
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas

from core import accounts, audit
from core.db import db, utcnow
from core.i18n import format_date
from core.models import ApiToken, Invitation, User
from core.pdf import FONT_BOLD, GREEN, draw_lines, draw_text, fit_lines, fit_size
from core.qr import draw_qr
from core.validation import Choice, Schema, Text, ValidationError

INVITATION_DAYS = 7
# Why a link does not work; the page says each in plain words, with what to do.
REFUSALS = ("unknown", "expired", "used", "void", "disabled")


class InvitationRefused(Exception):
    """The link cannot set up an account; `reason` is one of REFUSALS."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _username_for(household):
    """The next free name of the household's accounts: its code in small letters, then -1, -2 ..."""
    stem = re.sub(r"[^a-z0-9_.-]", "", household.code.lower()) or "grower"
    number = household.accounts.count() + 1
    while User.select().where(User.username == f"{stem}-{number}").exists():
        number += 1
    return f"{stem}-{number}"


class GrowerAccountInput(Schema):
    """A member of a household who gets an account: their name, and a username if the secretariat chooses one."""

    name = Text(120, required=True)
    username = Text(40)


def add_grower_account(household, data, by_user):
    """Make an account for a member of `household` (name, and a username or the next free one); set up later by invitation."""
    cleaned = GrowerAccountInput.clean(data)
    return accounts.create_user({"username": cleaned["username"] or _username_for(household),
                                 "full_name": cleaned["name"], "role": "grower"}, by_user, household=household)


def _open_invitations(account):
    return Invitation.select().where((Invitation.user == account) & Invitation.used_at.is_null()
                                     & Invitation.voided_at.is_null())


def issue_invitation(account, by_user):
    """Make a new one-time link for a grower account, voiding any open one; returns (invitation, token).

    A new card is printed for a lost phone or a forgotten PIN: the account's password or PIN, its
    sessions (core.auth's secret mark) and its API tokens stop at once, until the new card is used.
    """
    if account.role != "grower":
        raise ValidationError({"account": _l("Invitations are for grower accounts.")})
    if not account.is_active:
        raise ValidationError({"account": _l("This account is disabled. Make a new account for the member.")})
    token = secrets.token_urlsafe(24)
    now = utcnow()
    with db.atomic():
        Invitation.update(voided_at=now).where(Invitation.id.in_(_open_invitations(account).select(Invitation.id))).execute()
        if account.password_hash != accounts.NO_PASSWORD_YET:
            User.update(password_hash=accounts.NO_PASSWORD_YET, uses_pin=False).where(User.id == account.id).execute()
            ApiToken.delete().where(ApiToken.user == account).execute()
        invitation = Invitation.create(user=account, token_hash=_digest(token), created_by=by_user, created_at=now,
                                       expires_at=now + datetime.timedelta(days=INVITATION_DAYS))
        audit.record(by_user, "create", "invitation", invitation.id, {"account": (None, account.username)})
    return invitation, token


def find_invitation(token):
    """The invitation a link's token belongs to, if it can still set up its account; else InvitationRefused."""
    invitation = Invitation.get_or_none(Invitation.token_hash == _digest(token[:200]))
    if invitation is None:
        raise InvitationRefused("unknown")
    if not invitation.user.is_active:
        raise InvitationRefused("disabled")
    if invitation.used_at is not None:
        raise InvitationRefused("used")
    if invitation.voided_at is not None:
        raise InvitationRefused("void")
    if invitation.expires_at <= utcnow():
        raise InvitationRefused("expired")
    return invitation


class ChosenSecret(Schema):
    """The password or PIN a member chooses from the invitation link, typed twice."""

    kind = Choice(("password", "pin"), required=True)
    secret = Text(200, required=True)
    secret_again = Text(200, required=True)


def _clean_secret(data, account):
    """The password or PIN the member chose, checked: (hash, uses_pin)."""
    cleaned = ChosenSecret.clean(data)
    secret = cleaned["secret"]
    if secret != cleaned["secret_again"]:
        raise ValidationError({"secret_again": _l("The two entries are not the same. Type it again.")})
    uses_pin = cleaned["kind"] == "pin"
    problem = (accounts.pin_problem(secret) if uses_pin
               else accounts.password_problem(secret, [account.username, account.full_name]))
    if problem:
        raise ValidationError({"secret": problem})
    return accounts.hash_password(secret), uses_pin


def set_up_account(token, data):
    """Use an invitation once: the member's password or PIN becomes the account's; returns the account.

    The link is spent by an UPDATE that only one request can win, so two taps on a slow
    connection set the account up once.
    """
    invitation = find_invitation(token)
    account = invitation.user
    password_hash, uses_pin = _clean_secret(data, account)
    with db.atomic():
        spent = Invitation.update(used_at=utcnow()).where(
            (Invitation.id == invitation.id) & Invitation.used_at.is_null() & Invitation.voided_at.is_null()).execute()
        if spent != 1:
            raise InvitationRefused("used")
        User.update(password_hash=password_hash, uses_pin=uses_pin).where(User.id == account.id).execute()
        audit.record(account, "update", "user", account.id, {"password": ("***", "***"),
                                                             "uses_pin": (account.uses_pin, uses_pin)})
    return User.get_by_id(account.id)


def disable_grower_account(account, by_user):
    """Disable a grower account (a lost phone, a member who left): its sessions, tokens and open invitations stop."""
    if account.role != "grower":
        raise ValidationError({"account": _l("Staff accounts are changed on the accounts page.")})
    with db.atomic():
        Invitation.update(voided_at=utcnow()).where(
            Invitation.id.in_(_open_invitations(account).select(Invitation.id))).execute()
        ApiToken.delete().where(ApiToken.user == account).execute()
        if account.is_active:
            User.update(is_active=False).where(User.id == account.id).execute()
            audit.record(by_user, "update", "user", account.id, {"is_active": (True, False)})
    return User.get_by_id(account.id)


def account_state(account):
    """Where a grower account stands: (disabled | pin | password | invited | waiting, the open invitation or None)."""
    if not account.is_active:
        return "disabled", None
    open_one = _open_invitations(account).where(Invitation.expires_at > utcnow()).order_by(Invitation.id.desc()).first()
    if account.password_hash != accounts.NO_PASSWORD_YET:
        return ("pin" if account.uses_pin else "password"), open_one
    return ("invited" if open_one else "waiting"), open_one


def household_accounts(household):
    """The household's grower accounts, each with its state and open invitation, for its page."""
    return [(account, *account_state(account)) for account in household.accounts.order_by(User.id)]


def invitation_card(account, url, expires_at):
    """An A6 card (PDF bytes): who it is for, the QR of the one-time link, until when, and what to do."""
    width, height = A6
    out = io.BytesIO()
    page = pdf_canvas.Canvas(out, pagesize=A6)
    page.setTitle("Invitation")
    margin = 9 * mm
    inner = width - 2 * margin
    y = height - margin - 6 * mm
    draw_text(page, width / 2, y, str(_l("Green market: your own account")), 12, FONT_BOLD, align="centre")
    page.setStrokeColor(GREEN)
    page.line(margin, y - 3 * mm, width - margin, y - 3 * mm)
    name = account.full_name or account.username
    y -= 11 * mm
    draw_text(page, width / 2, y, name, fit_size(name, inner, 15, 9, FONT_BOLD), FONT_BOLD, align="centre")
    y -= 6 * mm
    household = str(_l("Household %(code)s · username %(username)s", code=account.household.code,
                       username=account.username))
    draw_text(page, width / 2, y, household, fit_size(household, inner, 10, 7), align="centre")
    qr_side = 52 * mm
    y -= qr_side + 2 * mm
    draw_qr(page, (width - qr_side) / 2, y, qr_side, url)
    steps = str(_l("Open the phone's camera, point it at the code and open the link. Choose a password or a "
                   "PIN. The link works once, until %(date)s.", date=format_date(expires_at)))
    lines, size = fit_lines(steps, inner, 9, 7, max_lines=4)
    y = draw_lines(page, width / 2, y - 5 * mm, lines, size)
    lost = str(_l("Lost phone or expired link: ask the council secretariat for a new card."))
    lines, size = fit_lines(lost, inner, 8, 6.5, max_lines=2)
    draw_lines(page, width / 2, y - 5 * mm, lines, size)
    page.showPage()
    page.save()
    return out.getvalue()
