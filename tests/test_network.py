"""The register the network reads (CSV, XLSX, JSON: certified and in-conversion households, public data only)
and the household's whole certification file as one PDF."""
import datetime
import io

from openpyxl import load_workbook

from certificates import records
from core import households

from tests.support import contains, pdf_text

TODAY = datetime.date.today()


def _converting(certified_household, household_data):
    """A second grower, converting since 100 days, with no certificate."""
    setup = certified_household
    other = households.create_household(dict(household_data, code="KH-02-007", head_name="บุญมี ขุนทอง",
                                             display_name="สวนลุงบุญ", village_no="2", phone="0812345678"),
                                        setup["committee"])
    plot = households.create_plot(other, {"name": "แปลงบน", "area_m2": "800"}, setup["committee"])
    start = TODAY - datetime.timedelta(days=100)
    records.save_plot_record(plot, {"conversion_start": start.isoformat()}, setup["committee"])
    return records.add_months(start, 12)


def test_json_register_lists_certified_and_converting_households_with_public_data_only(client, certified_household,
                                                                                      household_data, token_for):
    """Each entry carries the public name, village, standard and version, scope, status, dates and /c/ address;
    no personal name or phone appears anywhere in the answer."""
    ends = _converting(certified_household, household_data)
    answer = client.get("/api/v1/network-register", headers=token_for("inspector"))
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    number = certified_household["certificate"].number
    assert [(i["status"], i["certificate_number"]) for i in items] == [("certified", number), ("in_conversion", "")]
    certified, converting = items
    assert certified["certificate_url"] == f"http://market.test/c/{number}"
    assert (certified["standard"], certified["standard_version"], certified["scope"]) == ("PGS-KH", 1, "คะน้า")
    assert (converting["public_name"], converting["village_no"], converting["valid_until"]) == ("สวนลุงบุญ", 2, ends.isoformat())
    text = answer.get_data(as_text=True)
    for personal in ("บุญมี", "0812345678", certified_household["household"].head_name):
        assert personal not in text


def test_csv_and_xlsx_carry_the_same_rows(client, auth, certified_household, household_data):
    """The CSV and the XLSX downloads hold the same register, Thai headers and B.E. dates."""
    _converting(certified_household, household_data)
    auth.login("inspector")
    csv_text = client.get("/network-register.csv").data.decode("utf-8-sig")
    assert "สวนลุงบุญ" in csv_text and certified_household["certificate"].number in csv_text
    assert str(TODAY.year + 543) in csv_text
    sheet = load_workbook(io.BytesIO(client.get("/network-register.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[2][0] == "สวนลุงบุญ"
    assert client.get("/network-register.pdf").status_code == 404


def test_the_certification_file_holds_records_inspections_and_certificates(client, auth, certified_household):
    """One PDF per household: its plots and conversion, inspection, decision and certificate history."""
    auth.login("inspector")
    setup = certified_household
    response = client.get(f"/households/{setup['household'].id}/certification-file.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for expected in ("แฟ้มการรับรอง", "แปลงริมคลอง", setup["certificate"].number, "ฉบับที่ 1"):
        assert contains(text, expected), expected
