"""The audit log: every change to central data says who made it, when, and what changed."""
import datetime
import decimal
import json

from flask_babel import lazy_gettext as _l

from core.models import AuditEntry

ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed"),
           "consent": _l("consent recorded for"), "withdraw": _l("consent withdrawn for"),
           "erase": _l("personal data erased (PDPA) of"), "export": _l("personal data exported (PDPA) of")}
ENTITIES = {
    "household": _l("household"),
    "member": _l("member"),
    "plot": _l("plot"),
    "product": _l("product"),
    "user": _l("staff account"),
    "occupation_group": _l("occupation group"),
    "batch": _l("harvest batch"),
    "settlement": _l("settlement"),
    "settings": _l("market settings"),
    "yield_norm": _l("yield norm"),
    "course": _l("course"),
    "course_signup": _l("course sign-up"),
    "attendance": _l("attendance"),
    "income_survey": _l("income survey"),
}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record(user, action, entity, entity_id, changes=None):
    """Write one audit entry; call inside the transaction that makes the change."""
    plain = {field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()}
    AuditEntry.create(
        user=user,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=json.dumps(plain, ensure_ascii=False, sort_keys=True),
    )


def apply_changes(record_obj, cleaned):
    """Set cleaned values on a model instance and return {field: (old, new)} for what differs."""
    changes = {}
    for field, new in cleaned.items():
        old = getattr(record_obj, field)
        if old != new:
            changes[field] = (old, new)
            setattr(record_obj, field, new)
    return changes


def entries(entity=None, entity_id=None):
    """Audit entries, newest first, optionally for one record."""
    query = AuditEntry.select().order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return query
