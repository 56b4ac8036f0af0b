"""One cleaner for all input text: control characters refused, invisible ones removed, names compared
as they look (NFC, spaces), and exports that survive whatever older records hold.
"""
import io

import openpyxl
import pytest

from core.models import Household, Product
from core.validation import clean_text

from tests.support import database_rows

API = "/api/v1"
KALE = {"name_th": "คะน้า", "unit": "kg", "category": "vegetable"}


@pytest.mark.parametrize("typed, stored", [
    ("ผัก\u200bบุ้ง", "ผักบุ้ง"),                       # zero-width space
    ("\ufeffคะน้า\u2060", "คะน้า"),                     # byte-order mark, word joiner
    ("สวน\u202eป้าศรี\u202c", "สวนป้าศรี"),             # right-to-left override and its end
    ("\u2067สวน\u2069 ป้า", "สวน ป้า"),                 # bidi isolates
    ("  สวน \t\u00a0 ป้าศรี  ", "สวน ป้าศรี"),         # spaces of every kind folded
    ("Cafe\u0301", "Café"),                             # a decomposed accent, composed (NFC)
    ("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3"),
])
def test_clean_text_removes_what_cannot_be_meant(typed, stored):
    """Invisible and layout-changing characters go, spaces fold, Unicode is composed."""
    assert clean_text(typed) == stored


@pytest.mark.parametrize("typed", ["a\x00b", "a\x01b", "a\x1bb", "a\x7fb", "a\x85b"])
def test_clean_text_refuses_control_characters(typed):
    """A control character is never real input: it is refused, not silently kept."""
    with pytest.raises(ValueError):
        clean_text(typed)


def test_a_zero_width_space_cannot_get_round_the_unique_product_name(client, token_for):
    """คะน้า with a zero-width space or a bidi mark in it is the same name, so it is refused as a duplicate."""
    admin = token_for("admin")
    assert client.post(f"{API}/products", json=KALE, headers=admin).status_code == 201
    before = database_rows()
    for disguised in ("คะ\u200bน้า", "\u202bคะน้า", " คะน้า ", "คะน้า\u200d"):
        answer = client.post(f"{API}/products", json=dict(KALE, name_th=disguised), headers=admin)
        assert answer.status_code == 400, disguised
        assert "name_th" in answer.get_json()["error"]["fields"]
    assert database_rows() == before
    assert Product.select().count() == 1


def test_a_control_character_in_a_text_field_is_refused_through_the_api(client, token_for):
    """A \\x01 sent in a household's text field is a 400 naming the field; nothing is stored."""
    admin = token_for("admin")
    household = {"code": "KH-01-001", "head_name": "สมศรี ทองคำ", "village_no": 1}
    assert client.post(f"{API}/households", json=household, headers=admin).status_code == 201
    before = database_rows()
    answer = client.patch(f"{API}/households/{Household.get().id}",
                          json={"disadvantaged_other": "ป่วย\x01ติดเตียง"}, headers=admin)
    assert answer.status_code == 400 and "disadvantaged_other" in answer.get_json()["error"]["fields"]
    assert database_rows() == before


def test_the_registry_xlsx_exports_a_record_that_holds_a_control_character(client, auth, token_for):
    """A control character stored before input was cleaned no longer makes the export a 500."""
    admin = token_for("admin", "exporter")
    client.post(f"{API}/households", json={"code": "KH-01-001", "head_name": "สมศรี", "village_no": 1}, headers=admin)
    Household.update(disadvantaged_other="ป่วย\x01ติดเตียง", notes="a\x1bb").execute()
    auth.login("admin")
    response = client.get("/households/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "ป่วยติดเตียง" in values and "ab" in values


def test_an_override_character_never_reaches_the_public_trace_page(client, token_for):
    """A display name typed with a right-to-left override is stored and shown without it."""
    admin = token_for("admin")
    answer = client.post(f"{API}/households", json={"code": "KH-01-001", "head_name": "สมศรี ทองคำ", "village_no": 1,
                                                    "display_name": "สวน\u202eป้าศรี"}, headers=admin)
    assert answer.status_code == 201
    assert Household.get().display_name == "สวนป้าศรี"
