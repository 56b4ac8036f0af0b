"""The standards and certifying bodies the market starts with, added once and never duplicated."""
from certificates.models import CertifyingBody, ProhibitedInput, Requirement, Standard
from core.db import db

PGS_REQUIREMENTS = [
    ("มีแผนการจัดการฟาร์มและจดบันทึกการผลิตครบถ้วน", "A farm management plan and complete production records are kept"),
    ("ไม่ใช้ปุ๋ยเคมีสังเคราะห์ในแปลงที่ขอรับรอง", "No synthetic chemical fertiliser on the certified plots"),
    ("ไม่ใช้สารเคมีกำจัดศัตรูพืชและวัชพืช", "No synthetic pesticides or herbicides"),
    ("ไม่ใช้เมล็ดพันธุ์หรือพืชดัดแปลงพันธุกรรม (GMO)", "No genetically modified seed or plants (GMO)"),
    ("มีแนวกันชนป้องกันการปนเปื้อนจากแปลงข้างเคียง", "A buffer zone protects against drift from neighbouring fields"),
    ("แหล่งน้ำสะอาด ไม่ปนเปื้อนสารเคมี", "Clean water source, free of chemical contamination"),
    ("ปัจจัยการผลิตมาจากแหล่งที่ตรวจสอบได้", "Inputs come from sources that can be checked"),
    ("แยกผลผลิตอินทรีย์จากผลผลิตทั่วไปตลอดการเก็บเกี่ยวและขนส่ง", "Organic produce is kept apart from other produce through harvest and transport"),
]

# Keyword in an input's name, why the standard forbids it (Thai, English).
PROHIBITED = [
    ("ยูเรีย", "ปุ๋ยเคมีสังเคราะห์", "synthetic fertiliser"),
    ("urea", "ปุ๋ยเคมีสังเคราะห์", "synthetic fertiliser"),
    ("ปุ๋ยเคมี", "ปุ๋ยเคมีสังเคราะห์", "synthetic fertiliser"),
    ("15-15-15", "ปุ๋ยเคมีสังเคราะห์", "synthetic fertiliser"),
    ("ไกลโฟเซต", "สารกำจัดวัชพืชสังเคราะห์", "synthetic herbicide"),
    ("glyphosate", "สารกำจัดวัชพืชสังเคราะห์", "synthetic herbicide"),
    ("พาราควอต", "สารกำจัดวัชพืชสังเคราะห์", "synthetic herbicide"),
    ("paraquat", "สารกำจัดวัชพืชสังเคราะห์", "synthetic herbicide"),
    ("คลอร์ไพริฟอส", "สารเคมีกำจัดแมลง", "synthetic insecticide"),
    ("chlorpyrifos", "สารเคมีกำจัดแมลง", "synthetic insecticide"),
    ("คาร์โบฟูราน", "สารเคมีกำจัดแมลง", "synthetic insecticide"),
    ("carbofuran", "สารเคมีกำจัดแมลง", "synthetic insecticide"),
]

STANDARDS = [
    ("PGS-KH", "มาตรฐานเกษตรอินทรีย์แบบมีส่วนร่วม (PGS) ตลาดเขียวคลองแห",
     "Khlong Hae Green Market PGS organic standard", "pgs"),
    ("TAS-9000", "มาตรฐานเกษตรอินทรีย์ มกษ. 9000", "Organic Thailand (TAS 9000)", "third_party"),
]

BODIES = [
    ("คณะกรรมการรับรองแบบมีส่วนร่วม ตลาดเขียวคลองแห", "Khlong Hae Green Market PGS committee", "pgs"),
    ("หน่วยรับรองเกษตรอินทรีย์ภายนอก (ตัวอย่าง)", "Third-party organic certifier (example)", "third_party"),
]


def ensure_default_standards():
    """Add the default standards, their checklists and prohibited inputs, and the bodies, if missing."""
    with db.atomic():
        for code, name_th, name_en, kind in STANDARDS:
            standard, created = Standard.get_or_create(code=code, defaults={"name_th": name_th, "name_en": name_en, "kind": kind})
            if created:
                for position, (text_th, text_en) in enumerate(PGS_REQUIREMENTS, start=1):
                    Requirement.create(standard=standard, position=position, text_th=text_th, text_en=text_en)
                for keyword, reason_th, reason_en in PROHIBITED:
                    ProhibitedInput.create(standard=standard, keyword=keyword, reason_th=reason_th, reason_en=reason_en)
        for name_th, name_en, kind in BODIES:
            CertifyingBody.get_or_create(name_th=name_th, defaults={"name_en": name_en, "kind": kind})
