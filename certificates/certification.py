"""Decisions and certificates: issuing, the status state machine, and the one question others ask.

`certification_status(household, product, on)` is the single answer to "is this household
certified for this product on this date, and if not, why"; labels, the POS and the trace page
all call it, so they can never disagree.
"""
import dataclasses
import datetime
import secrets

from flask_babel import lazy_gettext as _l
from peewee import fn

from certificates import inspections, records
from certificates.models import (
    OUTCOMES,
    Certificate,
    CertificateEvent,
    CertificatePlot,
    CertificateProduct,
    Decision,
    Inspection,
    NonCompliance,
)
from core import audit
from core.db import LARGEST_ID, Prepared, db, write_transaction
from core.i18n import format_date
from core.models import PROGRAMME_START, Household, Plot, Product
from core.validation import Choice, Date, Described, Schema, Text, ValidationError, local_today

# How long a certificate runs unless the committee says otherwise (PGS groups certify yearly).
DEFAULT_VALIDITY_DAYS = 365
MAX_VALIDITY = datetime.timedelta(days=5 * 366)  # no organic certificate runs longer than five years
# A certificate this close to its end is "expiring": time to inspect again before it lapses.
EXPIRY_WARNING_DAYS = 60
APPEAL_OUTCOMES = ("granted", "upheld")
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
    """Today in Thailand: from 17:00 UTC the server's date is still yesterday there (a dawn harvest is not "future")."""
    return local_today()


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

    state: str  # certified, suspended, revoked, expired, not_in_scope, in_conversion, none, not_certifiable,
    # and for a made batch input_not_certified or maker_not_certified
    certificate: Certificate = None
    conversion_ends: datetime.date = None  # in_conversion: the day the conversion period is over

    @property
    def certified(self):
        return self.state == "certified"

    @property
    def message(self):
        if self.state == "in_conversion" and self.conversion_ends:
            return _l("In conversion to organic until %(date)s, not yet certified", date=format_date(self.conversion_ends))
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
    "input_not_certified": _l("Made from a batch that was not certified organic when harvested"),
    "maker_not_certified": _l("The maker is not certified for making this product"),
}

# When no certificate covers the product, which problem to report first.
_PRIORITY = ["suspended", "expired", "revoked", "not_yet_valid"]


def certification_status(household, product, on=None, plot_id=None):
    """Is `household` certified for `product` on date `on` (default today), and if not, why.

    With `plot_id` (a batch's plot), a certificate that lists plots must list this one too.
    "In conversion" only where a dated conversion is running on that plot (without a plot, on one
    of the household's plots), with the day it ends; otherwise "not certified". One query for a
    certified household: every certificate, each marked with whether it covers the product.
    """
    on = on or today()
    if not product.is_certifiable:
        return CertificationStatus("not_certifiable")
    if plot_id is None:
        certificates = _CERTIFICATES.rows(household.id, product.id)
    else:
        certificates = _CERTIFICATES_FOR_PLOT.rows(household.id, product.id, plot_id)
    found = {}
    for certificate in certificates:
        if certificate.covers_product:
            found.setdefault(effective_status(certificate, on), certificate)
    if "active" in found:
        active = found["active"]
        if plot_id is not None and active.outside_plot_scope:
            # A plot left out of the certificate because it is still converting says until when.
            return _converting(household, product, on, plot_id) or CertificationStatus("not_in_scope", active)
        return CertificationStatus("certified", active)
    for state in _PRIORITY:
        if state in found:
            return CertificationStatus(state, found[state])
    if certificates and effective_status(certificates[0], on) == "active":
        return CertificationStatus("not_in_scope", certificates[0])
    return _converting(household, product, on, plot_id) or CertificationStatus("none")


def _converting(household, product, on, plot_id):
    """"In conversion" until its end where a dated conversion runs on the plot (any of the household's without one)."""
    plot = Plot.get_or_none(Plot.id == plot_id) if plot_id is not None else None
    running = records.running_conversion(household, product.category, on, plot)
    return CertificationStatus("in_conversion", conversion_ends=running.ends_on) if running else None
    return CertificationStatus("none")


def _household_certificates(household_id, product_id, plot_id=None):
    """The household's certificates, latest end first, each with `covers_product` and `outside_plot_scope`."""
    covers = CertificateProduct.select().where(
        CertificateProduct.certificate == Certificate.id, CertificateProduct.product == product_id)
    columns = [Certificate, fn.EXISTS(covers).alias("covers_product")]
    if plot_id is not None:
        listed = CertificatePlot.select().where(CertificatePlot.certificate == Certificate.id)
        listed_here = CertificatePlot.select().where(
            CertificatePlot.certificate == Certificate.id, CertificatePlot.plot == plot_id)
        columns.append((fn.EXISTS(listed) & ~fn.EXISTS(listed_here)).alias("outside_plot_scope"))
    return (Certificate.select(*columns).where(Certificate.household == household_id)
            .order_by(Certificate.valid_until.desc(), Certificate.id.desc()))


_CERTIFICATES = Prepared(lambda household_id, product_id: _household_certificates(household_id, product_id))
_CERTIFICATES_FOR_PLOT = Prepared(_household_certificates)

# The states certification_status() reaches from the household's certificates alone; the others
# ("in conversion", "not certified", a plot outside the scope) also read the conversion records.
STATES_FROM_CERTIFICATES = frozenset(("certified", "suspended", "revoked", "expired", "not_yet_valid", "not_certifiable"))


def certificate_rows(household_id, product_id, plot_id=None):
    """The raw rows certification_status() decides from, as tuples: a page's fingerprint, not for display."""
    if plot_id is None:
        return _CERTIFICATES.values(household_id, product_id)
    return _CERTIFICATES_FOR_PLOT.values(household_id, product_id, plot_id)


def _check_committee(user):
    if user is None or not user.decides_certification:
        raise ValidationError({"user": _l("Only the certification committee can do this.")})


class DecisionInput(Schema):
    """The committee's decision: approve, approve with conditions (written), or reject (with why)."""

    outcome = Choice(OUTCOMES, required=True)
    conditions = Text(2000, description="Required to approve with conditions")
    reason = Text(2000, description="Required to reject")


def decide(inspection, data, user):
    """Record the committee's decision on a completed inspection."""
    _check_committee(user)
    cleaned = DecisionInput.clean(data)
    ready = ("screened",) if inspection.body.requires_screening else ("completed", "screened")
    if inspection.status not in ready:
        if inspection.status == "completed":
            raise ValidationError({"outcome": _l("This file must pass screening before the committee decides.")})
        raise ValidationError({"outcome": _l("Only a recorded inspection can be decided.")})
    if cleaned["outcome"] != "reject" and inspections.failed_critical(inspection):
        raise ValidationError({"outcome": _l("A critical criterion failed: the application cannot be approved.")})
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


# Record ids as a form or JSON sends them; _ids checks them against the table.
ID_LIST = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}


class CertificateScope(Schema):
    """What a certificate covers (products, plots) and how long it is valid."""

    product_ids = Described(ID_LIST, required=True, description="Certifiable products the certificate covers")
    plot_ids = Described(ID_LIST, required=True, description="The household's plots past conversion")
    issued_on = Date(
        earliest=PROGRAMME_START, latest=local_today,
        too_early=_l("The issue date is before the programme began: check the year (B.E. 2569 is C.E. 2026)."),
        too_late=_l("A certificate cannot be issued with a date in the future."), description="Defaults to today")
    valid_until = Date(description="Defaults to a year after the issue; at most five years")


def issue_certificate(decision, data, user):
    """Issue the certificate an approving decision allows, with its scope of products and plots."""
    _check_committee(user)
    if decision.outcome not in ("approve", "approve_with_conditions"):
        raise ValidationError({"decision": _l("A rejected application gets no certificate.")})
    inspection = decision.inspection
    household = inspection.household
    cleaned = CertificateScope.clean(data)
    issued_on = cleaned.get("issued_on") or today()
    if issued_on > today() + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS):
        # 9999-12-30 would also overflow the default end date below (a 500).
        raise ValidationError({"issued_on": _l("The issue date cannot be more than a year ahead.")})
    valid_until = cleaned.get("valid_until") or issued_on + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until <= issued_on:
        raise ValidationError({"valid_until": _l("The end date must be after the issue date.")})
    if valid_until > issued_on + MAX_VALIDITY:
        raise ValidationError({"valid_until": _l("A certificate is valid for at most five years: check the year.")})
    product_ids = _ids(data.get("product_ids"))
    plot_ids = _ids(data.get("plot_ids"))
    products = list(Product.select().where(Product.id.in_(product_ids), Product.is_certifiable == True))  # noqa: E712
    plots = list(Plot.select().where(Plot.id.in_(plot_ids), Plot.household == household))
    errors = {}
    if not product_ids or len(products) != len(set(product_ids)):
        errors["product_ids"] = _l("Choose the certifiable products the certificate covers.")
    if not plot_ids or len(plots) != len(set(plot_ids)):
        errors["plot_ids"] = _l("Choose the household's plots the certificate covers.")
    if not errors:
        unconverted = _plots_in_conversion(plots, products, inspection.version, issued_on)
        if unconverted:
            errors["plot_ids"] = _l("Only plots past conversion can be certified: %(plots)s.", plots="; ".join(unconverted))
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
        _follow_certificate(household, user)
    return certificate


def _plots_in_conversion(plots, products, version, on):
    """Each plot whose conversion is undated, or still running on `on` for a product category, in words."""
    problems = []
    for plot in plots:
        for category in sorted({p.category for p in products}):
            found = records.conversion(plot, category, version)
            if found is None:
                problems.append(_l("%(plot)s has no dated conversion", plot=plot.name))
                break
            if found.running(on):
                problems.append(_l("%(plot)s is in conversion until %(date)s", plot=plot.name, date=format_date(found.ends_on)))
                break
    return [str(p) for p in problems]


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


class StatusChange(Schema):
    """What the committee gives to change a certificate's status; which fields each action needs
    is checked by `_status_change`."""

    reason = Text(2000, description="Required but to reinstate")
    until = Date(description="A suspension's end (optional)")
    outcome = Choice(APPEAL_OUTCOMES, description="An appeal decision's outcome (required there)")


def _status_change(data, *required):
    """Read a status change, with the fields this action needs."""
    form = StatusChange.form(data)
    for name in required:
        if name not in form.errors and not form.cleaned.get(name):
            form.errors[name] = _l("This field is required.")
    return form.finish()


def suspend(certificate, data, user):
    """Suspend an active certificate, with a reason and optionally until when."""
    _check_committee(user)
    cleaned = _status_change(data, "reason")
    if effective_status(certificate) != "active":
        raise TransitionRefused(_l("Only an active certificate can be suspended."))
    if cleaned.get("until") and not (today() <= cleaned["until"] <= certificate.valid_until):
        raise ValidationError({"until": _l("The suspension must end between today and the certificate's end date.")})
    return _change(certificate, user, "suspended", "suspended", cleaned["reason"], cleaned.get("until"))


def reinstate(certificate, data, user):
    """Lift a suspension once the corrective actions are done."""
    _check_committee(user)
    cleaned = _status_change(data)
    if effective_status(certificate) != "suspended":
        raise TransitionRefused(_l("Only a suspended certificate can be reinstated."))
    return _change(certificate, user, "reinstated", "active", cleaned["reason"], None)


def revoke(certificate, data, user):
    """Withdraw a certificate for good; it cannot be reinstated, only appealed."""
    _check_committee(user)
    cleaned = _status_change(data, "reason")
    if effective_status(certificate) not in ("active", "suspended"):
        raise TransitionRefused(_l("Only an active or suspended certificate can be revoked."))
    return _change(certificate, user, "revoked", "revoked", cleaned["reason"], None)


def file_appeal(certificate, data, user):
    """Record that the grower appeals a suspension or revocation."""
    _check_committee(user)
    cleaned = _status_change(data, "reason")
    if certificate.status not in ("suspended", "revoked"):
        raise TransitionRefused(_l("Only a suspension or revocation can be appealed."))
    if _open_appeal(certificate):
        raise TransitionRefused(_l("An appeal is already open."))
    return _change(certificate, user, "appeal_filed", None, cleaned["reason"], None)


def decide_appeal(certificate, data, user):
    """Close the open appeal: granted restores the certificate, upheld keeps the decision."""
    _check_committee(user)
    cleaned = _status_change(data, "outcome", "reason")
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
        if status is not None:
            _follow_certificate(certificate.household, user)
    return certificate


def _follow_certificate(household, user):
    """Set the household's grower status from its certificates: a certificate that holds (active or
    suspended) makes an applicant an active grower; once every certificate is revoked an active grower
    is an applicant again. Expiry is left alone (the grower stays active, to be inspected again), and
    so is a household that withdrew.
    """
    household = Household.get_by_id(household.id)
    states = {effective_status(c) for c in Certificate.select().where(Certificate.household == household)}
    if states & {"active", "suspended", "not_yet_valid"}:
        wanted, moves_from = "active", ("none", "applicant")
    elif states == {"revoked"}:
        wanted, moves_from = "applicant", ("active",)
    else:
        return
    if household.grower_status in moves_from:
        audit.record(user, "update", "household", household.id, {"grower_status": (household.grower_status, wanted)})
        Household.update(grower_status=wanted).where(Household.id == household.id).execute()


def _same_date(column, value):
    """`column` holds `value`, NULL included (SQL's = never matches NULL)."""
    return column.is_null() if value is None else column == value


def history(certificate):
    """The certificate's events, oldest first."""
    return certificate.events.order_by(CertificateEvent.at, CertificateEvent.id)


def ending_soon(on=None):
    """Certificates that hold (active or suspended) and end within EXPIRY_WARNING_DAYS of `on`."""
    on = on or today()
    return (Certificate.select()
            .where(Certificate.status.in_(("active", "suspended")),
                   Certificate.valid_until.between(on, on + datetime.timedelta(days=EXPIRY_WARNING_DAYS)))
            .order_by(Certificate.valid_until))


@dataclasses.dataclass
class HouseholdCertification:
    """A household's certification on one day: its certificates, inspections and what is due."""

    certificates: list  # [(certificate, effective status, [scope products])], newest first
    inspections: list
    open_actions: list  # non-compliances whose corrective action is not done, earliest due first
    next_inspection: Inspection = None
    expiring: Certificate = None  # the certificate that holds and ends within EXPIRY_WARNING_DAYS

    @property
    def current(self):
        """The certificate that holds now, or the newest one."""
        for certificate, state, _scope in self.certificates:
            if state in ("active", "suspended"):
                return certificate, state
        return (self.certificates[0][0], self.certificates[0][1]) if self.certificates else (None, None)


def household_certification(household, on=None):
    """Everything about one household's certification that its page shows, on date `on` (today)."""
    on = on or today()
    certificates = []
    for certificate in (Certificate.select().where(Certificate.household == household)
                        .order_by(Certificate.valid_until.desc(), Certificate.id.desc())):
        scope = [link.product for link in CertificateProduct.select(CertificateProduct, Product).join(Product)
                 .where(CertificateProduct.certificate == certificate).order_by(Product.name_th)]
        certificates.append((certificate, effective_status(certificate, on), scope))
    inspections = list(Inspection.select().where(Inspection.household == household)
                       .order_by(Inspection.scheduled_for.desc(), Inspection.id.desc()))
    open_actions = list(NonCompliance.select().join(Inspection)
                        .where(Inspection.household == household, NonCompliance.resolved_on.is_null())
                        .order_by(NonCompliance.due_on, NonCompliance.id))
    scheduled = [i for i in inspections if i.status == "scheduled"]
    expiring = next((c for c, state, _scope in certificates
                     if state in ("active", "suspended") and (c.valid_until - on).days <= EXPIRY_WARNING_DAYS), None)
    return HouseholdCertification(certificates, inspections, open_actions,
                                  min(scheduled, key=lambda i: i.scheduled_for) if scheduled else None, expiring)
