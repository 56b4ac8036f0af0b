"""Decisions and certificates: issuing, the status state machine, and the one question others ask.

`certification_status(household, product, on)` is the single answer to "is this household
certified for this product on this date, and if not, why"; labels, the POS and the trace page
all call it, so they can never disagree.
"""
import dataclasses
import datetime
import secrets

from flask_babel import lazy_gettext as _l

from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificatePlot,
    CertificateProduct,
    Decision,
    Inspection,
    OUTCOMES,
)
from core.db import LARGEST_ID, db, write_transaction
from core.models import Plot, Product
from core.validation import Form, ValidationError

# How long a certificate runs unless the committee says otherwise (PGS groups certify yearly).
DEFAULT_VALIDITY_DAYS = 365
NUMBER_PREFIX = "KH"
# The random tail of a certificate number: no look-alike characters (no 0/O, 1/I/L, U), and
# 30^6 = 7 x 10^8 numbers a year, so a guesser finds none of the few dozen issued.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_RANDOM_SYMBOLS = 6


class TransitionRefused(ValidationError):
    """A status change the certificate's current state does not allow."""

    def __init__(self, message):
        super().__init__({"status": message})


def today():
    return datetime.date.today()


def effective_status(certificate, on=None):
    """The status that holds on a date: active, suspended, revoked or expired.

    Expiry and the end of a suspension come from the dates alone, without anyone acting.
    """
    on = on or today()
    if certificate.status == "revoked":
        return "revoked"
    if on > certificate.valid_until:
        return "expired"
    if on < certificate.issued_on:
        return "not_yet_valid"
    if certificate.status == "suspended":
        if certificate.suspended_until is None or on <= certificate.suspended_until:
            return "suspended"
    return "active"


@dataclasses.dataclass(frozen=True)
class CertificationStatus:
    """The answer to "is this household certified for this product on this date"."""

    state: str  # certified, suspended, revoked, expired, not_in_scope, in_conversion, none, not_certifiable
    certificate: Certificate = None

    @property
    def certified(self):
        return self.state == "certified"

    @property
    def message(self):
        return STATUS_MESSAGES[self.state]


STATUS_MESSAGES = {
    "certified": _l("Certified organic"),
    "suspended": _l("Certificate suspended"),
    "revoked": _l("Certificate revoked"),
    "expired": _l("Certificate expired"),
    "not_yet_valid": _l("Certificate not yet valid"),
    "not_in_scope": _l("Not certified for this product"),
    "in_conversion": _l("In conversion to organic, not yet certified"),
    "none": _l("Not certified"),
    "not_certifiable": _l("Not a certifiable product (no organic claim)"),
}

# When no certificate covers the product, which problem to report first.
_PRIORITY = ["suspended", "expired", "revoked", "not_yet_valid"]


def certification_status(household, product, on=None):
    """Is `household` certified for `product` on date `on` (default today), and if not, why."""
    on = on or today()
    if not product.is_certifiable:
        return CertificationStatus("not_certifiable")
    certificates = list(
        Certificate.select()
        .join(CertificateProduct)
        .where(Certificate.household == household, CertificateProduct.product == product)
        .order_by(Certificate.valid_until.desc())
    )
    found = {}
    for certificate in certificates:
        found.setdefault(effective_status(certificate, on), certificate)
    if "active" in found:
        return CertificationStatus("certified", found["active"])
    for state in _PRIORITY:
        if state in found:
            return CertificationStatus(state, found[state])
    other = Certificate.select().where(Certificate.household == household).order_by(Certificate.valid_until.desc()).first()
    if other is not None and effective_status(other, on) == "active":
        return CertificationStatus("not_in_scope", other)
    if household.grower_status == "active":
        return CertificationStatus("in_conversion")
    return CertificationStatus("none")


def _check_committee(user):
    if user is None or not user.decides_certification:
        raise ValidationError({"user": _l("Only the certification committee can do this.")})


def decide(inspection, data, user):
    """Record the committee's decision on a completed inspection."""
    _check_committee(user)
    form = Form(data)
    form.choice("outcome", OUTCOMES, required=True)
    form.text("conditions", 2000)
    form.text("reason", 2000)
    cleaned = form.finish()
    if inspection.status != "completed":
        raise ValidationError({"outcome": _l("Only a recorded inspection can be decided.")})
    if cleaned["outcome"] == "approve_with_conditions" and not cleaned["conditions"]:
        raise ValidationError({"conditions": _l("Write the conditions of the approval.")})
    if cleaned["outcome"] == "reject" and not cleaned["reason"]:
        raise ValidationError({"reason": _l("Write why the application is rejected.")})
    with db.atomic():
        decision = Decision.create(inspection=inspection, decided_by=user, **cleaned)
        Inspection.update(status="decided").where(Inspection.id == inspection.id).execute()
        inspection.status = "decided"
    return decision


def next_number(issued_on):
    """A new certificate number of the Buddhist Era year with a random tail: KH-2569-7KQ3MX.

    Random, not counted up, so nobody lists every certificate (and its household) by counting.
    Numbers issued before (KH-2569-0001) keep working.
    """
    prefix = f"{NUMBER_PREFIX}-{issued_on.year + 543}-"
    while True:
        number = prefix + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_SYMBOLS))
        if not Certificate.select().where(Certificate.number == number).exists():
            return number


def normalise_number(text):
    """Read a certificate number as people type it: any case, spaces or missing dashes."""
    compact = "".join(ch for ch in str(text).upper() if ch.isalnum())
    if len(compact) >= 10 and compact[:2].isalpha() and compact[2:6].isdigit():
        return f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return str(text).strip().upper()


def issue_certificate(decision, data, user):
    """Issue the certificate an approving decision allows, with its scope of products and plots."""
    _check_committee(user)
    if decision.outcome not in ("approve", "approve_with_conditions"):
        raise ValidationError({"decision": _l("A rejected application gets no certificate.")})
    inspection = decision.inspection
    household = inspection.household
    form = Form(data)
    form.date("issued_on")
    form.date("valid_until")
    cleaned = form.finish()
    issued_on = cleaned.get("issued_on") or today()
    if issued_on > today() + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS):
        # 9999-12-30 would also overflow the default end date below (a 500).
        raise ValidationError({"issued_on": _l("The issue date cannot be more than a year ahead.")})
    valid_until = cleaned.get("valid_until") or issued_on + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until <= issued_on:
        raise ValidationError({"valid_until": _l("The end date must be after the issue date.")})
    product_ids = _ids(data.get("product_ids"))
    plot_ids = _ids(data.get("plot_ids"))
    products = list(Product.select().where(Product.id.in_(product_ids), Product.is_certifiable == True))  # noqa: E712
    plots = list(Plot.select().where(Plot.id.in_(plot_ids), Plot.household == household))
    errors = {}
    if not product_ids or len(products) != len(set(product_ids)):
        errors["product_ids"] = _l("Choose the certifiable products the certificate covers.")
    if not plot_ids or len(plots) != len(set(plot_ids)):
        errors["plot_ids"] = _l("Choose the household's plots the certificate covers.")
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        # Checked inside the transaction that writes: a retried request never issues a second certificate.
        if Certificate.select().where(Certificate.decision == decision).exists():
            raise ValidationError({"decision": _l("This decision already has its certificate.")})
        certificate = Certificate.create(
            number=next_number(issued_on),
            household=household,
            standard=inspection.standard,
            body=inspection.body,
            decision=decision,
            issued_on=issued_on,
            valid_until=valid_until,
            conditions=decision.conditions,
        )
        CertificateProduct.insert_many([{"certificate": certificate.id, "product": p.id} for p in products]).execute()
        CertificatePlot.insert_many([{"certificate": certificate.id, "plot": p.id} for p in plots]).execute()
        CertificateEvent.create(certificate=certificate, user=user, action="issued", until=valid_until)
    return certificate


def _ids(raw):
    """Record ids from a form or JSON (one or a list); anything but whole numbers in range is refused."""
    if raw is None:
        return []
    if isinstance(raw, (str, int)):
        raw = [raw]
    refused = ValidationError({"scope": _l("Choose products and plots from the lists.")})
    if not isinstance(raw, list):
        raise refused
    ids = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise refused
        if str(value).strip():
            try:
                ids.append(int(str(value).strip()))
            except ValueError:
                raise refused from None
    if not all(0 < value <= LARGEST_ID for value in ids):
        raise refused
    return ids


def _reason(data, required=True):
    form = Form(data)
    form.text("reason", 2000, required=required)
    form.date("until")
    return form.finish()


def suspend(certificate, data, user):
    """Suspend an active certificate, with a reason and optionally until when."""
    _check_committee(user)
    cleaned = _reason(data)
    if effective_status(certificate) != "active":
        raise TransitionRefused(_l("Only an active certificate can be suspended."))
    if cleaned.get("until") and not (today() <= cleaned["until"] <= certificate.valid_until):
        raise ValidationError({"until": _l("The suspension must end between today and the certificate's end date.")})
    return _change(certificate, user, "suspended", "suspended", cleaned["reason"], cleaned.get("until"))


def reinstate(certificate, data, user):
    """Lift a suspension once the corrective actions are done."""
    _check_committee(user)
    cleaned = _reason(data, required=False)
    if effective_status(certificate) != "suspended":
        raise TransitionRefused(_l("Only a suspended certificate can be reinstated."))
    return _change(certificate, user, "reinstated", "active", cleaned["reason"], None)


def revoke(certificate, data, user):
    """Withdraw a certificate for good; it cannot be reinstated, only appealed."""
    _check_committee(user)
    cleaned = _reason(data)
    if effective_status(certificate) not in ("active", "suspended"):
        raise TransitionRefused(_l("Only an active or suspended certificate can be revoked."))
    return _change(certificate, user, "revoked", "revoked", cleaned["reason"], None)


def file_appeal(certificate, data, user):
    """Record that the grower appeals a suspension or revocation."""
    _check_committee(user)
    cleaned = _reason(data)
    if certificate.status not in ("suspended", "revoked"):
        raise TransitionRefused(_l("Only a suspension or revocation can be appealed."))
    if _open_appeal(certificate):
        raise TransitionRefused(_l("An appeal is already open."))
    return _change(certificate, user, "appeal_filed", None, cleaned["reason"], None)


def decide_appeal(certificate, data, user):
    """Close the open appeal: granted restores the certificate, upheld keeps the decision."""
    _check_committee(user)
    form = Form(data)
    form.choice("outcome", {"granted": "", "upheld": ""}, required=True)
    form.text("reason", 2000, required=True)
    cleaned = form.finish()
    if not _open_appeal(certificate):
        raise TransitionRefused(_l("There is no open appeal."))
    if cleaned["outcome"] == "granted":
        return _change(certificate, user, "appeal_granted", "active", cleaned["reason"], None)
    return _change(certificate, user, "appeal_upheld", None, cleaned["reason"], None)


def _open_appeal(certificate):
    last = (
        CertificateEvent.select()
        .where(CertificateEvent.certificate == certificate, CertificateEvent.action.startswith("appeal"))
        .order_by(CertificateEvent.at.desc(), CertificateEvent.id.desc())
        .first()
    )
    return last is not None and last.action == "appeal_filed"


def _change(certificate, user, action, status, reason, until):
    """Write the event and, when `status` is given, move the certificate to it, in one transaction.

    The move is made only from the state the rule checked (a conditional UPDATE), so two members
    of the committee acting at once, or a retried request, can never both change it.
    """
    with db.atomic():
        if status is not None:
            suspended_until = until if status == "suspended" else None
            moved = (Certificate.update(status=status, status_reason=reason, suspended_until=suspended_until)
                     .where(Certificate.id == certificate.id, Certificate.status == certificate.status,
                            _same_date(Certificate.suspended_until, certificate.suspended_until))
                     .execute())
            if not moved:
                raise TransitionRefused(_l("Someone changed this certificate meanwhile. Reload it and try again."))
            certificate.status, certificate.status_reason, certificate.suspended_until = status, reason, suspended_until
        CertificateEvent.create(certificate=certificate, user=user, action=action, reason=reason, until=until)
    return certificate


def _same_date(column, value):
    """`column` holds `value`, NULL included (SQL's = never matches NULL)."""
    return column.is_null() if value is None else column == value


def history(certificate):
    """The certificate's events, oldest first."""
    return certificate.events.order_by(CertificateEvent.at, CertificateEvent.id)
