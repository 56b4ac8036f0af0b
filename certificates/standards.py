"""Standards and their versions: the criteria the certifying body writes, edits and puts in force.

A version in force is never edited: the certifying body makes a draft from the last version,
changes it, and publishes it; inspections keep the version they were scheduled under, so an old
report reads exactly as it was recorded.
"""
from flask_babel import lazy_gettext as _l

from certificates.models import (
    CERTIFICATION_KINDS,
    DEFAULT_CONVERSION_MONTHS,
    CertifyingBody,
    ConversionPeriod,
    InputRuling,
    Requirement,
    Standard,
    StandardVersion,
)
from core import audit
from core.db import db, utcnow
from core.models import CATEGORIES
from core.validation import Checkbox, Choice, Integer, Schema, Text, ValidationError

MAX_CONVERSION_MONTHS = 120  # ten years: longer is a typing mistake, not a conversion period

# (topic Thai, topic English, text Thai, text English, guidance Thai, critical)
PGS_CRITERIA = [
    ("การจัดการฟาร์ม", "Farm management", "มีแผนการจัดการฟาร์มและจดบันทึกการผลิตครบถ้วน",
     "A farm management plan and complete production records are kept",
     "ดูสมุดบันทึกปัจจัยการผลิตและการเก็บเกี่ยวย้อนหลังอย่างน้อย 12 เดือน", False),
    ("ปัจจัยการผลิต", "Inputs", "ไม่ใช้ปุ๋ยเคมีสังเคราะห์ในแปลงที่ขอรับรอง",
     "No synthetic chemical fertiliser on the certified plots",
     "ตรวจโรงเก็บปัจจัยการผลิตและถุงปุ๋ยที่เหลือ", True),
    ("ปัจจัยการผลิต", "Inputs", "ไม่ใช้สารเคมีกำจัดศัตรูพืชและวัชพืช", "No synthetic pesticides or herbicides",
     "ดูขวดหรือซองสารที่เก็บไว้ และสอบถามเพื่อนบ้าน", True),
    ("ปัจจัยการผลิต", "Inputs", "ไม่ใช้เมล็ดพันธุ์หรือพืชดัดแปลงพันธุกรรม (GMO)", "No genetically modified seed or plants (GMO)",
     "ดูแหล่งที่มาของเมล็ดพันธุ์", True),
    ("การป้องกันการปนเปื้อน", "Contamination", "มีแนวกันชนป้องกันการปนเปื้อนจากแปลงข้างเคียง",
     "A buffer zone protects against drift from neighbouring fields",
     "ถ่ายภาพแนวกันชนทุกด้านของแปลง", False),
    ("การป้องกันการปนเปื้อน", "Contamination", "แหล่งน้ำสะอาด ไม่ปนเปื้อนสารเคมี",
     "Clean water source, free of chemical contamination", "ถ่ายภาพแหล่งน้ำที่ใช้รด", False),
    ("ปัจจัยการผลิต", "Inputs", "ปัจจัยการผลิตมาจากแหล่งที่ตรวจสอบได้", "Inputs come from sources that can be checked",
     "ทุกรายการในบันทึกปัจจัยการผลิตอยู่ในทะเบียนปัจจัยการผลิต", False),
    ("การเก็บเกี่ยวและขนส่ง", "Harvest and transport", "แยกผลผลิตอินทรีย์จากผลผลิตทั่วไปตลอดการเก็บเกี่ยวและขนส่ง",
     "Organic produce is kept apart from other produce through harvest and transport", "", False),
]

# Conversion months per product category: annual vegetables and mushrooms a year, perennials three.
PGS_CONVERSION = {"vegetable": 12, "mushroom": 12, "honey": 12, "other": 36}

STANDARDS = [
    ("PGS-KH", "มาตรฐานเกษตรอินทรีย์แบบมีส่วนร่วม (PGS) ตลาดเขียวคลองแห",
     "Khlong Hae Green Market PGS organic standard", "pgs"),
    ("TAS-9000", "มาตรฐานเกษตรอินทรีย์ มกษ. 9000", "Organic Thailand (TAS 9000)", "third_party"),
]

BODIES = [
    ("คณะกรรมการรับรองแบบมีส่วนร่วม ตลาดเขียวคลองแห", "Khlong Hae Green Market PGS committee", "pgs"),
]


def ensure_default_standards():
    """Add the default standards with their first version in force, and the PGS committee, if missing."""
    with db.atomic():
        for code, name_th, name_en, kind in STANDARDS:
            standard, created = Standard.get_or_create(code=code, defaults={"name_th": name_th, "name_en": name_en, "kind": kind})
            if created:
                version = StandardVersion.create(standard=standard, number=1, status="published", published_at=utcnow())
                for position, (topic_th, topic_en, text_th, text_en, guidance_th, critical) in enumerate(PGS_CRITERIA, start=1):
                    Requirement.create(standard=standard, version=version, position=position, topic_th=topic_th,
                                       topic_en=topic_en, text_th=text_th, text_en=text_en, guidance_th=guidance_th,
                                       critical=critical)
                ConversionPeriod.insert_many(
                    [{"version": version.id, "category": c, "months": m} for c, m in PGS_CONVERSION.items()]).execute()
        for name_th, name_en, kind in BODIES:
            CertifyingBody.get_or_create(name_th=name_th, defaults={"name_en": name_en, "kind": kind})


def _check_editor(user):
    if user is None or not user.decides_certification:
        raise ValidationError({"user": _l("Only the certification committee can change a standard.")})


def current_version(standard):
    """The version of `standard` in force (the last published), or None."""
    return (StandardVersion.select().where(StandardVersion.standard == standard, StandardVersion.status == "published")
            .order_by(StandardVersion.number.desc()).first())


def draft_version(standard):
    """The version of `standard` being edited, or None."""
    return StandardVersion.get_or_none(StandardVersion.standard == standard, StandardVersion.status == "draft")


def criteria(version):
    """The version's criteria in checklist order."""
    return list(Requirement.select().where(Requirement.version == version).order_by(Requirement.position))


def conversion_months(version, category):
    """Months of conversion the version asks before produce of `category` may be certified."""
    if version is None:
        return DEFAULT_CONVERSION_MONTHS
    period = ConversionPeriod.get_or_none(ConversionPeriod.version == version, ConversionPeriod.category == category)
    return period.months if period else version.conversion_months


def new_draft(standard, user):
    """Start the next version as a copy of the last one: criteria, conversion periods and input rulings."""
    _check_editor(user)
    with db.atomic():
        if draft_version(standard) is not None:
            raise ValidationError({"version": _l("A draft of this standard is already being edited.")})
        last = (StandardVersion.select().where(StandardVersion.standard == standard)
                .order_by(StandardVersion.number.desc()).first())
        draft = StandardVersion.create(standard=standard, number=(last.number + 1) if last else 1, created_by=user,
                                       conversion_months=last.conversion_months if last else DEFAULT_CONVERSION_MONTHS)
        if last is not None:
            for item in criteria(last):
                Requirement.create(standard=standard, version=draft, position=item.position, topic_th=item.topic_th,
                                   topic_en=item.topic_en, text_th=item.text_th, text_en=item.text_en,
                                   guidance_th=item.guidance_th, guidance_en=item.guidance_en, critical=item.critical,
                                   categories=item.categories)
            periods = [{"version": draft.id, "category": p.category, "months": p.months} for p in last.conversion_periods]
            if periods:
                ConversionPeriod.insert_many(periods).execute()
            rulings = [{"input": r.input_id, "version": draft.id, "ruling": r.ruling, "condition": r.condition}
                       for r in last.rulings]
            if rulings:
                InputRuling.insert_many(rulings).execute()
        audit.record(user, "create", "standard_version", draft.id,
                     audit.new_values({"standard": standard.code, "number": draft.number}))
    return draft


def _editable(version):
    if version.status != "draft":
        raise ValidationError({"version": _l("A version in force is not changed; start a new draft instead.")})


class CriterionInput(Schema):
    """One criterion of a standard: its topic, text and guidance in Thai and English, and whether it is critical.

    Its product categories are read by the service: a list or a comma-separated line.
    """

    topic_th = Text(200)
    topic_en = Text(200)
    text_th = Text(400, required=True)
    text_en = Text(400)
    guidance_th = Text(2000)
    guidance_en = Text(2000)
    critical = Checkbox()


def _criterion_form(data):
    cleaned = CriterionInput.clean(data)
    categories = data.get("categories") or []
    if isinstance(categories, str):
        categories = [c for c in categories.split(",") if c]
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise ValidationError({"categories": _l("Choose product categories from the list.")})
    cleaned["categories"] = ",".join(c for c in CATEGORIES if c in categories)
    return cleaned


def save_criterion(version, data, user, criterion=None):
    """Change one criterion of a draft, or add it at the end when `criterion` is None."""
    _check_editor(user)
    _editable(version)
    cleaned = _criterion_form(data)
    with db.atomic():
        if criterion is None:
            last = Requirement.select().where(Requirement.version == version).order_by(Requirement.position.desc()).first()
            criterion = Requirement.create(standard=version.standard_id, version=version,
                                           position=(last.position + 1) if last else 1, **cleaned)
            audit.record(user, "create", "criterion", criterion.id, audit.new_values(cleaned))
        else:
            if criterion.version_id != version.id:
                raise ValidationError({"criterion": _l("This criterion belongs to another version.")})
            audit.save_with_audit(user, criterion, "criterion", cleaned)
    return criterion


def remove_criterion(version, criterion, user):
    """Take a criterion out of a draft; the ones after it move up."""
    _check_editor(user)
    _editable(version)
    if criterion.version_id != version.id:
        raise ValidationError({"criterion": _l("This criterion belongs to another version.")})
    with db.atomic():
        position = criterion.position
        criterion.delete_instance()
        later_ones = (Requirement.select().where(Requirement.version == version, Requirement.position > position)
                      .order_by(Requirement.position))
        for later in later_ones:
            Requirement.update(position=later.position - 1).where(Requirement.id == later.id).execute()
        audit.record(user, "delete", "criterion", criterion.id, audit.new_values({"text_th": criterion.text_th}))


# Declared with type(): one field of months per product category, months_<category>, in CATEGORIES' order.
ConversionPlan = type("ConversionPlan", (Schema,), {
    "__doc__": "A draft's conversion months: a default, one per product category where it differs, and notes.",
    "conversion_months": Integer(minimum=0, maximum=MAX_CONVERSION_MONTHS, required=True),
    **{f"months_{category}": Integer(minimum=0, maximum=MAX_CONVERSION_MONTHS) for category in CATEGORIES},
    "notes": Text(2000),
})


def save_conversion(version, data, user):
    """Set the draft's conversion months: a default and one per product category."""
    _check_editor(user)
    _editable(version)
    cleaned = ConversionPlan.clean(data)
    with db.atomic():
        version.conversion_months = cleaned["conversion_months"]
        version.notes = cleaned["notes"]
        version.save()
        ConversionPeriod.delete().where(ConversionPeriod.version == version).execute()
        rows = [{"version": version.id, "category": c, "months": cleaned[f"months_{c}"]}
                for c in CATEGORIES if cleaned.get(f"months_{c}") is not None]
        if rows:
            ConversionPeriod.insert_many(rows).execute()
        audit.record(user, "update", "standard_version", version.id,
                     audit.new_values({"conversion_months": version.conversion_months}))
    return version


def publish(version, user):
    """Put a draft in force; the version it replaces is superseded. Inspections already scheduled keep theirs."""
    _check_editor(user)
    _editable(version)
    if not Requirement.select().where(Requirement.version == version).exists():
        raise ValidationError({"version": _l("A version needs at least one criterion.")})
    with db.atomic():
        (StandardVersion.update(status="superseded")
         .where(StandardVersion.standard == version.standard_id, StandardVersion.status == "published").execute())
        version.status, version.published_at, version.published_by = "published", utcnow(), user
        version.save()
        audit.record(user, "publish", "standard_version", version.id, audit.new_values({"number": version.number}))
    return version


class CertifyingBodyInput(Schema):
    """A certifying body: its names, its kind, and whether a reviewer screens its inspections first."""

    name_th = Text(200, required=True)
    name_en = Text(200)
    kind = Choice(CERTIFICATION_KINDS, required=True)
    requires_screening = Checkbox()


def save_body(data, user, body=None):
    """Add a certifying body (a PGS committee or a third-party certifier) or rename one."""
    _check_editor(user)
    cleaned = CertifyingBodyInput.clean(data)
    clash = CertifyingBody.select().where(CertifyingBody.name_th == cleaned["name_th"])
    if body is not None:
        clash = clash.where(CertifyingBody.id != body.id)
    if clash.exists():
        raise ValidationError({"name_th": _l("A certifying body of this name already exists.")})
    with db.atomic():
        body = audit.create_or_save_with_audit(user, CertifyingBody, body, "certifying_body", cleaned)
    return body
