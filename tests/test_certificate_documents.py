"""The certificate and inspection-report PDFs, read back as a phone and a person would read them.

Each PDF is rasterised and every QR on every page decoded with zxing-cpp; its text is extracted
with pdfium and checked for what must be there and for what must never be (personal data).
"""
import datetime
import re

import pypdfium2
import pytest
from flask_babel import force_locale

from certificates import certification
from certificates.documents import certificate_pdf, inspection_report_pdf
from certificates.models import ChecklistResult, NonCompliance, Requirement
from core.i18n import format_date
from core.models import Plot
from core.pdf import text_width, thai_break_points, wrap_lines

from tests.support import PEER_HOUSEHOLDS, contains, page_texts, pdf_text, qr_texts

BASE_URL = "http://market.test"


def build_certificate(app, certificate, language="th"):
    with app.test_request_context():
        return certificate_pdf(certificate, BASE_URL, language)


def build_report(app, inspection, language="th"):
    with app.test_request_context():
        return inspection_report_pdf(inspection, language)


def formatted(app, value, language):
    with app.test_request_context(), force_locale(language):
        return format_date(value)


# --- The certificate --------------------------------------------------------------------------


def test_certificate_has_one_qr_that_opens_its_verification_page(app, certified_household):
    """Exactly one QR on the whole certificate, drawn as vectors, decoding to /c/<number>."""
    certificate = certified_household["certificate"]
    pdf = build_certificate(app, certificate)
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" not in pdf, "the QR must be vectors, not a raster image"
    assert qr_texts(pdf) == [f"{BASE_URL}/c/{certificate.number}"]
    assert f"{BASE_URL}/c/{certificate.number}" in pdf_text(pdf), "the URL is printed under the QR"


def test_thai_certificate_shows_number_buddhist_era_dates_scope_and_public_name(app, certified_household):
    """The Thai certificate names the household publicly and gives dates in the Buddhist Era."""
    certificate = certified_household["certificate"]
    pdf = build_certificate(app, certificate, "th")
    text = pdf_text(pdf)
    assert len(page_texts(pdf)) == 1
    assert certificate.number in text
    assert str(certificate.valid_until.year + 543) in text
    assert str(certificate.issued_on.year + 543) in text
    assert contains(text, formatted(app, certificate.valid_until, "th"))
    assert contains(text, "ใบรับรองมาตรฐานเกษตรอินทรีย์")
    assert contains(text, certificate.household.public_name)
    assert contains(text, "หมู่ที่ 1 ตำบลคลองแห อำเภอหาดใหญ่ จังหวัดสงขลา")
    assert contains(text, certified_household["product"].name_th)
    assert contains(text, certified_household["plot"].name)
    assert contains(text, "1 ไร่")
    assert contains(text, "ประธานคณะกรรมการรับรอง")


def test_certificate_never_shows_personal_data(app, certified_household):
    """Phone, national ID, disadvantaged flags and the head's own name stay off the certificate."""
    household = certified_household["household"]
    household.phone = "081-234-5678"
    household.national_id = "3900100123456"
    household.is_low_income = True
    household.disadvantaged_other = "ผู้ป่วยติดเตียง"
    household.save()
    certificate = certified_household["certificate"]
    for language in ("th", "en"):
        pdf = build_certificate(app, certificate, language)
        document = pypdfium2.PdfDocument(pdf)
        text = pdf_text(pdf) + " ".join(str(value) for value in document.get_metadata_dict().values())
        digits = re.sub(r"\D", "", text)
        assert "081-234-5678" not in text and "0812345678" not in digits
        assert "3900100123456" not in digits
        assert not contains(text, household.head_name)
        assert not contains(text, household.disadvantaged_other)
        assert contains(text, household.public_name)


def test_english_certificate_comes_from_the_same_code_with_common_era_dates(app, certified_household):
    """The English certificate has the English title, labels and names, and CE dates."""
    certificate = certified_household["certificate"]
    text = pdf_text(build_certificate(app, certificate, "en"))
    assert "Organic Certificate" in text
    assert "Village 1, Khlong Hae" in text
    assert "Chinese kale" in text
    assert formatted(app, certificate.valid_until, "en") in text
    assert str(certificate.valid_until.year) in text
    assert not contains(text, formatted(app, certificate.valid_until, "th"))
    assert not contains(text, "ใบรับรองมาตรฐานเกษตรอินทรีย์")
    assert "SUSPENDED" not in text


def test_suspended_certificate_says_it_is_suspended(app, certified_household):
    """A certificate suspended after issue prints a suspended banner, in both languages."""
    certificate = certified_household["certificate"]
    until = datetime.date.today() + datetime.timedelta(days=60)
    certification.suspend(certificate, {"reason": "พบการใช้ปุ๋ยเคมี", "until": until.isoformat()},
                          certified_household["committee"])
    thai = pdf_text(build_certificate(app, certificate, "th"))
    assert contains(thai, "ระงับชั่วคราว")
    assert contains(thai, formatted(app, until, "th"))
    assert not contains(thai, "พบการใช้ปุ๋ยเคมี"), "the committee's reason is not for the wall"
    english = build_certificate(app, certificate, "en")
    assert "SUSPENDED" in pdf_text(english)
    assert qr_texts(english) == [f"{BASE_URL}/c/{certificate.number}"], "the QR still scans through the banner"


def _inside_border(pdf, margin=30):
    """Every character of every page lies inside the certificate's border."""
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        textpage = page.get_textpage()
        for index in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(index)
            if right - left == 0:
                continue
            assert margin <= left and right <= width - margin, textpage.get_text_range(index, 1)
            assert margin <= bottom and top <= height - margin, textpage.get_text_range(index, 1)
    return True


def test_long_thai_names_wrap_or_shrink_inside_the_border(app, certified_household):
    """A very long public name, plot name and conditions still fit inside the border, on one page."""
    household = certified_household["household"]
    household.display_name = "วิสาหกิจชุมชนกลุ่มเกษตรกรปลูกผักปลอดสารพิษและเลี้ยงผึ้งชันโรงบ้านคลองแหใต้ร่วมใจพัฒนาอย่างยั่งยืน"
    household.save()
    Plot.update(name="แปลงผักอินทรีย์ริมคลองแหฝั่งทิศตะวันออกติดสวนยางพาราของเพื่อนบ้าน").where(
        Plot.id == certified_household["plot"].id).execute()
    certificate = certified_household["certificate"]
    certificate.conditions = "ต้องปลูกแนวกันชนเพิ่มด้านทิศเหนือให้แล้วเสร็จภายในสามเดือน และส่งบันทึกการใช้ปัจจัยการผลิตทุกเดือน"
    certificate.save()
    for language in ("th", "en"):
        pdf = build_certificate(app, certificate, language)
        assert len(page_texts(pdf)) == 1
        assert _inside_border(pdf)
        assert contains(pdf_text(pdf), household.display_name)


def test_conditions_too_long_for_the_page_move_to_an_annex(app, certified_household):
    """Conditions of several paragraphs go to an annex page; the QR stays single, on page one."""
    certificate = certified_household["certificate"]
    certificate.conditions = "\n".join(f"{n}. ส่งบันทึกการใช้ปัจจัยการผลิตและผลผลิตประจำเดือนต่อคณะกรรมการทุกเดือน" for n in range(1, 30))
    certificate.save()
    pdf = build_certificate(app, certificate)
    pages = page_texts(pdf)
    assert len(pages) >= 2
    assert contains(pages[0], "ดูในเอกสารแนบ")
    assert contains("".join(pages[1:]), "29. ส่งบันทึก")
    assert contains("".join(pages[1:]), certified_household["product"].name_th)
    assert qr_texts(pdf) == [f"{BASE_URL}/c/{certificate.number}"]
    assert _inside_border(pdf, margin=20)


# --- The inspection report --------------------------------------------------------------------


def _positions_listed(text, positions):
    """The positions that start a line of the checklist table."""
    return {position for position in positions if re.search(rf"(?m)^{position} ", text)}


def test_inspection_report_lists_every_requirement_and_inspector(app, certified_household):
    """The report has every checklist position with its result, and each inspector to sign."""
    inspection = certified_household["inspection"]
    requirements = list(Requirement.select().where(Requirement.standard == inspection.standard_id))
    pdf = build_report(app, inspection, "th")
    text = pdf_text(pdf)
    positions = {r.position for r in requirements}
    assert _positions_listed(text, positions) == positions
    for requirement in requirements:
        assert contains(text, requirement.text_th)
    for _code, name in PEER_HOUSEHOLDS:
        assert contains(text, name)
    assert contains(text, "ผ่าน 8 ข้อ ไม่ผ่าน 0 ข้อ")
    assert contains(text, "แปลงสะอาด มีบันทึกครบ")
    assert contains(text, "อนุมัติ"), "the committee's decision"
    assert contains(text, "สวนป้าศรี (KH-01-001)")
    assert certified_household["household"].head_name not in text
    assert qr_texts(pdf) == []


def test_english_inspection_report_puts_results_in_words(app, certified_household):
    """The English report says Pass in words and names the kind of inspection."""
    text = pdf_text(build_report(app, certified_household["inspection"], "en"))
    assert "Inspection report" in text
    assert "Participatory Guarantee System (PGS)" in text
    assert "Pass" in text and "8 passed, 0 failed, 0 not applicable" in text
    assert "Page 1 of" in text


def test_long_inspection_report_flows_over_pages(app, certified_household):
    """Forty checklist items with long notes and many non-compliances build into a multi-page report."""
    inspection = certified_household["inspection"]
    long_note = "ตรวจพบร่องรอยการใช้น้ำหมักชีวภาพที่ผลิตเองในครัวเรือน บันทึกไม่ครบทุกครั้ง ควรจดวันที่และปริมาณให้ชัดเจน " * 2
    for position in range(9, 41):
        requirement = Requirement.create(
            standard=inspection.standard, version=inspection.version_id, position=position,
            text_th=f"ข้อกำหนดเพิ่มเติมที่ {position} ว่าด้วยการจัดการดินและน้ำในแปลงที่ขอรับรองอย่างต่อเนื่อง",
            text_en=f"Extra requirement {position}")
        ChecklistResult.create(inspection=inspection, requirement=requirement,
                               result="fail" if position % 7 == 0 else "pass", note=long_note)
    for n in range(12):
        NonCompliance.create(inspection=inspection, description=f"ข้อบกพร่องที่ {n + 1} " + long_note[:200],
                             severity=("minor", "major", "critical")[n % 3], corrective_action=long_note[:300],
                             due_on=datetime.date.today() + datetime.timedelta(days=30))
    inspection.findings = "\n\n".join([long_note * 3] * 4)
    inspection.save()
    pdf = build_report(app, inspection, "th")
    pages = page_texts(pdf)
    assert len(pages) >= 3
    text = "\n".join(pages)
    assert _positions_listed(text, range(1, 41)) == set(range(1, 41))
    assert contains(pages[-1], PEER_HOUSEHOLDS[-1][1]), "the signatures close the report"
    assert contains(text, f"หน้า {len(pages)} จาก {len(pages)}")


# --- Line breaking ----------------------------------------------------------------------------

SAMPLES = [
    "ผักกาดหอมอินทรีย์ปลอดสารพิษจากแปลงริมคลองหมู่ที่สาม",
    "สแกนคิวอาร์โค้ดเพื่อตรวจสอบสถานะปัจจุบันของใบรับรอง เนื่องจากใบรับรองอาจถูกระงับหรือเพิกถอน",
    "ต้องปลูกแนวกันชนเพิ่มด้านทิศเหนือให้แล้วเสร็จภายในสามเดือน",
    "น้ำผึ้งชันโรง ปู่ย่าที่นี่ ประธานคณะกรรมการรับรอง ผู้ตรวจประเมิน",
]
_COMBINING = set("ะัาำิีึืฺุู็่้๊๋์ํ๎ๅๆฯ")


@pytest.mark.parametrize("text", SAMPLES)
def test_thai_lines_break_between_syllables_never_inside_one(text):
    """No break puts a mark or vowel at the start of a line or leaves a leading vowel at the end."""
    for word in text.split():
        for point in thai_break_points(word):
            assert word[point] not in _COMBINING, (word, point)
            assert word[point - 1] not in "เแโใไ", (word, point)
    for width in (60, 90, 140):
        lines = wrap_lines(text, width, 11)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(text_width(line, 11) <= width for line in lines)
        assert all(line[:1] not in _COMBINING for line in lines)


def test_known_words_break_where_a_thai_reader_expects():
    """Clusters and a silent leading ห stay with their syllable: |ประ, |หรือ, not ป|ระ, ห|รือ."""
    def parts(word):
        cuts = [0, *thai_break_points(word), len(word)]
        return [word[a:b] for a, b in zip(cuts, cuts[1:])]

    assert parts("ผู้ตรวจประเมิน") == ["ผู้ตรวจ", "ประ", "เมิน"]
    assert parts("ระงับหรือเพิกถอน") == ["ระ", "งับ", "หรือ", "เพิกถอน"]
    assert "เหนือ" in parts("ทิศเหนือให้") and "เสร็จ" in parts("แล้วเสร็จภายใน")
