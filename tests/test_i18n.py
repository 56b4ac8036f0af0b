"""Thai first: every message translated, Buddhist Era dates, baht with two decimals, Thai land units."""
import datetime
import pathlib
from decimal import Decimal

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from core.i18n import area_from_parts, format_area, format_baht, format_date

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages():
    """Every message id the code and templates ask to translate, found as pybabel would."""
    method_map = [
        ("core/**.py", "python"),
        ("certificates/**.py", "python"),
        ("traceability/**.py", "python"),
        ("market/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, filename)
    return found


def _thai_catalog():
    with open(ROOT / "translations" / "th" / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale="th")


def test_every_message_has_a_thai_translation():
    """No string a user sees is left in English on a Thai page (run pybabel extract/update, then translate)."""
    catalog = _thai_catalog()
    missing = [
        f"{msgid!r} ({where})"
        for msgid, where in _source_messages().items()
        if not catalog.get(msgid) or not catalog.get(msgid).string
    ]
    assert not missing, "Untranslated:\n" + "\n".join(missing)


def test_thai_catalog_has_no_fuzzy_or_broken_placeholders():
    """A fuzzy entry is ignored at run time, and a dropped %(name)s breaks the message."""
    import re

    for message in _thai_catalog():
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        placeholders = sorted(re.findall(r"%\(\w+\)[sd]", message.id))
        assert sorted(re.findall(r"%\(\w+\)[sd]", message.string)) == placeholders, message.id


@pytest.mark.parametrize(
    "satang, shown",
    [(0, "฿0.00"), (5, "฿0.05"), (2550, "฿25.50"), (123456789, "฿1,234,567.89"), (-150, "-฿1.50"), (None, "")],
)
def test_money_is_baht_with_two_decimals(satang, shown):
    """Integer satang are shown as baht with exactly two decimals, never through float."""
    assert format_baht(satang) == shown


def test_dates_use_the_buddhist_era_in_thai(app):
    """24 Nov 2026 is 24 พ.ย. 2569 in Thai and stays 2026 in English."""
    day = datetime.date(2026, 11, 24)
    with app.test_request_context(), force_locale("th"):
        assert format_date(day) == "24 พ.ย. 2569"
    with app.test_request_context(), force_locale("en"):
        assert format_date(day) == "24 Nov 2026"


def test_land_area_in_rai_ngan_wa(app):
    """1 ไร่ = 4 งาน = 400 ตร.ว. = 1,600 m²; zero parts are left out."""
    assert area_from_parts(1, 0, 0) == Decimal(1600)
    assert area_from_parts(2, 1, Decimal("50.5")) == Decimal(3802)
    with app.test_request_context(), force_locale("th"):
        assert format_area(Decimal(3800)) == "2 ไร่ 1 งาน 50 ตร.ว. (3,800 m²)"
        assert format_area(Decimal(1600)) == "1 ไร่ (1,600 m²)"
        assert format_area(Decimal(2)) == "0.5 ตร.ว. (2 m²)"
    with app.test_request_context(), force_locale("en"):
        assert format_area(Decimal(3800)) == "2 rai 1 ngan 50 sq. wa (3,800 m²)"


def test_pages_are_thai_by_default_and_english_on_request(client, auth):
    """The same page reads in Thai first and in English after the switch."""
    auth.login("admin")
    thai = client.get("/households/new").get_data(as_text=True)
    assert "ลงทะเบียนครัวเรือน" in thai and 'lang="th"' in thai
    client.set_cookie("lang", "en")
    english = client.get("/households/new").get_data(as_text=True)
    assert "Register a household" in english and "ลงทะเบียนครัวเรือน" not in english
