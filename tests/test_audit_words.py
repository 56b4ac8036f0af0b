"""The audit log and a household's history read as words: every record type, every field it audits
and every value with a stored key has a name, for the newer records (standards, the input register,
consents, settlements, made batches, the import's words) as for the first ones."""
import ast
import datetime
import importlib
import json
import pathlib
import re

from certificates.models import CertifyingBody, PlotRecord, RegisteredInput, Requirement, StandardVersion, YieldNorm
from core import audit, privacy
from core.models import (
    AuditEntry,
    Course,
    Household,
    IncomeSurvey,
    Member,
    OccupationGroup,
    OccupationSynonym,
    Plot,
    Product,
    User,
)
from greenmarket import DOMAINS
from market import settings
from market.models import Settlement
from traceability.models import Batch

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The table whose columns an entity's computed changes (audit.apply_changes, a comprehension) come from.
ENTITY_MODELS = {
    "household": Household, "member": Member, "plot": Plot, "product": Product, "user": User,
    "occupation_group": OccupationGroup, "occupation_synonym": OccupationSynonym, "batch": Batch,
    "settlement": Settlement, "yield_norm": YieldNorm, "course": Course,
    "income_survey": IncomeSurvey, "plot_record": PlotRecord, "registered_input": RegisteredInput,
    "standard_version": StandardVersion, "criterion": Requirement, "certifying_body": CertifyingBody,
}
# Columns the software keeps for itself, never typed by a person nor changed through a form.
BOOKKEEPING = {"id", "created_at", "updated_at", "created_by", "client_id", "password_hash"}


def _audit_calls():
    """Every audit.record(...) call in the application's source: (file, line, action, entity, changes node)."""
    for package in ("core", *DOMAINS):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                    action, entity = (arg.value if isinstance(arg, ast.Constant) else None for arg in node.args[1:3])
                    changes = node.args[4] if len(node.args) > 4 else None
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", action, entity, changes


def _fields(entity, changes):
    """The field names an audit.record call writes: a literal's keys, or the entity's table columns."""
    if changes is None:
        return set()
    if isinstance(changes, ast.Call) and changes.args and isinstance(changes.args[0], ast.Dict):
        changes = changes.args[0]  # new_values({...})
    if isinstance(changes, ast.Dict):
        return {key.value for key in changes.keys if isinstance(key, ast.Constant)}
    if entity == "settings":
        return set(settings.DEFAULTS)  # one row per setting: the keys are the fields
    entities = [entity] if entity else ["household", "member"]  # privacy's erase names either
    return {field for name in entities for field in ENTITY_MODELS[name]._meta.fields} - BOOKKEEPING


def test_every_audited_record_type_field_and_action_has_a_name(app):
    """Walk every audit.record call and every audited table's columns: each action, record type and
    field has a label, so no raw name like `quantity_milli` or `conversion_verified_on` reaches a page."""
    calls = list(_audit_calls())
    assert len(calls) > 40, "the walk found the audit calls"
    raw = []
    for where, action, entity, changes in calls:
        if action is not None and action not in audit.ACTIONS:
            raw.append(f"{where}: action {action}")
        if entity is not None and entity not in audit.ENTITIES:
            raw.append(f"{where}: record type {entity}")
        raw += [f"{where}: field {field}" for field in sorted(_fields(entity, changes)) if field not in audit.FIELD_LABELS]
    assert raw == []


def test_the_demo_history_reads_as_words(app, client, admin_user, auth):
    """On the demo data every entry's record type, fields and stored keys are words, in Thai: the
    standard's name instead of its code or id, an input's kind and ruling by name, a consent's purpose
    and date in B.E."""
    for name in ("core", "certificates", "traceability", "market"):
        importlib.import_module(f"{name}.demo").load_demo_data()
    household = Household.select().order_by(Household.code).first()
    privacy.record_consent(household, {"given_on": datetime.date.today().isoformat()}, admin_user)
    keys = {"allowed", "restricted", "prohibited", "seed", "compost", "bio_extract", "fertilizer", "pest_control",
            "pgs", "third_party", "disadvantaged_status", "active", "applicant", "vegetable", "kg"}
    entries = list(AuditEntry.select())
    assert {entry.entity for entry in entries} >= {"input_ruling", "registered_input", "plot_record", "batch"}
    with app.test_request_context("/"):
        for entry in entries:
            assert entry.entity in audit.ENTITIES, entry.entity
            fields = json.loads(entry.changes or "{}")
            for (label, old, new), field in zip(audit.describe(entry), fields):
                assert label != field, f"{entry.entity}: {field} has no label"
                assert old not in keys and new not in keys, f"{entry.entity}.{field}: {old} → {new}"
        ruling = next(entry for entry in entries if entry.entity == "input_ruling")
        described = {label: new for label, _old, new in audit.describe(ruling)}
        assert described["มาตรฐานและฉบับ"].startswith("มาตรฐาน") and "ฉบับที่" in described["มาตรฐานและฉบับ"]
    auth.login()
    history = client.get(f"/households/{household.id}/history").get_data(as_text=True)
    assert "disadvantaged_status" not in history and f"{datetime.date.today().year + 543}" in history
    page = client.get("/audit?entity=input_ruling").get_data(as_text=True)
    words = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])
    assert "input_ruling" not in words and "prohibited" not in words and "ข้อวินิจฉัยปัจจัยการผลิต" in words
