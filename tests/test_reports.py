"""Every report as a page, CSV, XLSX and PDF: one object (core/report.py), the same figures everywhere.

Each report is fetched over HTTP in every format; the CSV is parsed, the XLSX opened with
openpyxl, the PDF rasterised and its text read with pdftotext. Every amount of the report object
must appear in each: as ฿1,234.50 on the page and in the PDF, as an exact 1234.50 in the CSV, and
as that number shown with the baht format in the XLSX.
"""
import csv
import datetime
import html
import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from flask_babel import gettext as _

from core import report
from core.i18n import format_baht
from core.report import MONEY_FORMAT, Money, Quantity, Report, Section
from market import documents as market_documents
from market import sales, settings, settlements
from market.models import Settlement
from reports import documents, impact, massbalance
from reports import recall as recall_sales
from traceability import codes, recalls

from tests.support import render, skeleton
from tests.test_market import TODAY, counter, sell  # noqa: F401  (counter is a fixture)

PERIOD = f"period_start={TODAY.isoformat()}&period_end={TODAY.isoformat()}"


@pytest.fixture
def world(app, counter):  # noqa: F811
    """Two sales (2 kg and 1.5 kg of kale at ฿60, ฿210), a 2.5% commission, the day closed and settled;
    counter B's sale of 1 kg closed and still owed; then the batch recalled."""
    settings.save_settings(dict(settings.all_settings(), commission_percent="2.5"), counter["admin"])
    day_a = counter["day"]
    sell(counter, (counter["batch"].code, "2"), tendered=20000)
    sell(counter, (counter["batch"].code, "1.5"))
    sales.close_market_day(counter["day"], {"counted_cash": "700", "notes": "ปิดร้านตรงเวลา"}, counter["admin"])
    counter["settlement"] = settlements.create_settlements({"period_start": TODAY.isoformat(),
                                                            "period_end": TODAY.isoformat()}, counter["admin"])[0]
    counter["day"] = sales.open_market_day({"counter": "B", "opening_float": "300"}, counter["admin"])
    sell(counter, (counter["batch"].code, "1"))
    sales.close_market_day(counter["day"], {"counted_cash": "360"}, counter["admin"])
    counter["day"] = day_a
    recalls.recall({"code": counter["batch"].code, "reason": "ตรวจพบสารตกค้าง"}, counter["admin"])
    return counter


def builders(world):
    """Each report's URL (without the format) and the object its view builds, built here the same way."""
    name = settings.get("market_name")
    day, settlement, code = world["day"], Settlement.get_by_id(world["settlement"].id), world["batch"].code
    start, end = TODAY.replace(day=1), TODAY
    scope = recalls.scope({"code": code})
    return {
        "z-report": (f"/market/days/{day.id}", "",
                     lambda: market_documents.z_report(settlements.z_report(day), name)),
        "settlements": ("/market/settlements", PERIOD,
                        lambda: market_documents.settlements_owed(settlements.preview(
                            {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}), name)),
        "statement": (f"/market/settlements/{settlement.id}", "",
                      lambda: market_documents.settlement_statement(settlement, settlements.statement_lines(settlement),
                                                                    settlements.statement_refunds(settlement), name)),
        "dashboard": ("/market/dashboard", "", lambda: documents.dashboard_report(start, end, name)),
        "impact": ("/market/impact", "", lambda: documents.impact_report(impact.programme(), name)),
        "mass-balance": ("/market/mass-balance", "",
                         lambda: documents.mass_balance_report(
                             massbalance.balances(TODAY - datetime.timedelta(days=89), TODAY),
                             TODAY - datetime.timedelta(days=89), TODAY, False, name)),
        "recall": (f"/market/recalls/{code}", "",
                   lambda: documents.recall_report(
                       _("Every sale of batch %(code)s", code=codes.format_code(code)), scope.batches,
                       recall_sales.sales_of_batches([b.id for b in scope.batches]), f"recall-{code}", name)),
    }


def amounts(built):
    """Every amount in the report object: rows and totals of every section."""
    return [cell.satang for section in built.sections for row in section.rows + [section.totals or []]
            for cell in row if isinstance(cell, Money)]


def pdftotext(pdf):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def xlsx_cells(body):
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("name", ["z-report", "settlements", "statement", "dashboard", "impact", "mass-balance", "recall"])
def test_each_report_shows_the_same_figures_as_page_csv_xlsx_and_pdf(client, auth, world, name):
    """The page, the CSV, the XLSX and the PDF carry every amount of the one report object."""
    url, query, build = builders(world)[name]
    with client.application.test_request_context():
        built = build()
    figures = amounts(built)
    assert figures or name in ("impact", "mass-balance"), "the world gives this report amounts to compare"
    auth.login("admin", "council2")
    suffix = f"?{query}" if query else ""

    page = client.get(url + suffix)
    assert page.status_code == 200
    csv_answer = client.get(f"{url}.csv{suffix}")
    assert csv_answer.mimetype == "text/csv" and csv_answer.data.startswith("\ufeff".encode())
    csv_cells = {cell for row in csv.reader(io.StringIO(csv_answer.data.decode("utf-8-sig"))) for cell in row}
    xlsx_answer = client.get(f"{url}.xlsx{suffix}")
    assert xlsx_answer.data[:2] == b"PK"
    money_cells = [(Decimal(str(cell.value)), cell.number_format) for cell in xlsx_cells(xlsx_answer.data)
                   if isinstance(cell.value, (int, float)) and cell.number_format == MONEY_FORMAT]
    pdf_answer = client.get(f"{url}.pdf{suffix}")
    assert pdf_answer.mimetype == "application/pdf"
    pdf_words = pdftotext(pdf_answer.data)
    for satang in figures:
        baht = (Decimal(satang) / 100).quantize(Decimal("0.01"))
        assert format_baht(satang) in page.get_data(as_text=True), (name, satang)
        assert str(baht) in csv_cells, (name, satang)
        assert (baht, MONEY_FORMAT) in money_cells, (name, satang)
        assert format_baht(satang) in pdf_words, (name, satang)
    images = render(pdf_answer.data, dpi=60)
    assert images and all(image.convert("L").getextrema()[0] < 100 for image in images), "every page has ink on it"
    assert skeleton(built.title) in skeleton(pdf_words.replace("\n", ""))
    assert client.get(f"{url}.exe{suffix}").status_code == 404


def test_z_report_figures_by_hand_in_every_format(client, auth, world):
    """฿210 in two sales; ฿500 float + ฿210 cash = ฿710 expected, ฿700 counted: -฿10 in every format."""
    auth.login("admin", "council2")
    day = world["day"]
    page = client.get(f"/market/days/{day.id}").get_data(as_text=True)
    assert "฿210.00" in page and "฿710.00" in page and "-฿10.00" in page
    rows = list(csv.reader(io.StringIO(client.get(f"/market/days/{day.id}.csv").get_data().decode("utf-8-sig"))))
    assert ["ทั้งหมด", "2", "210.00", "", ""] in rows
    assert ["ส่วนต่าง (นับได้ − ควรมี)", "-10.00"] in rows
    assert any(row[:2] == ["คะน้า", "3.500"] for row in rows), "quantities are exact numbers in the CSV"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/market/days/{day.id}.xlsx").data))
    assert len(book.worksheets) == 4, "one sheet per section"
    quantity = next(cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
                    if cell.value == 3.5)
    assert quantity.number_format == 'General "กก."', "the XLSX shows the unit as the page does"
    text = pdftotext(client.get(f"/market/days/{day.id}.pdf").data)
    assert "฿210.00" in text and "-฿10.00" in text and "฿710.00" in text
    assert str(TODAY.year + 543) in text, "dates are Buddhist Era in Thai"
    assert contains_thai(text, "ปิดร้านตรงเวลา"), "the closing note is printed"


def contains_thai(text, expected):
    return skeleton(expected) in skeleton(text)


def test_settlement_totals_add_up_in_every_format(client, auth, world):
    """The statement's gross, commission (2.5% of ฿210 = ฿5.25) and net payout (฿204.75)."""
    auth.login("admin", "council2")
    settlement = world["settlement"]
    assert (settlement.gross_satang, settlement.commission_satang, settlement.net_satang) == (21000, 525, 20475)
    rows = list(csv.reader(io.StringIO(client.get(f"/market/settlements/{settlement.id}.csv").get_data()
                                       .decode("utf-8-sig"))))
    assert ["ยอดจ่ายสุทธิ", "204.75"] in rows and any("-5.25" in row for row in rows)
    text = pdftotext(client.get(f"/market/settlements/{settlement.id}.pdf").data)
    assert "฿204.75" in text and "-฿5.25" in text


def test_a_spreadsheet_never_runs_report_text_as_a_formula(app):
    """A household or product named like a formula stays text in the CSV and the XLSX."""
    hostile = Report("=HYPERLINK(\"http://x\")", "x", [Section("@SUM(A1)", ["-1+1", "x"],
                                                                   [["=1+1", Money(150)], ["+cmd|' /C calc'!A0", None]])])
    with app.test_request_context():
        rows = list(csv.reader(io.StringIO(report.to_csv(hostile).decode("utf-8-sig"))))
        cells = xlsx_cells(report.to_xlsx(hostile))
    assert rows[0] == ["'-1+1", "x"] and rows[1] == ["'=1+1", "1.50"] and rows[2][0].startswith("'+")
    assert all(cell.data_type != "f" for cell in cells)
    assert [cell.value for cell in cells][:4] == ["-1+1", "x", "=1+1", 1.5]


def test_cells_are_formatted_once_for_page_and_pdf(app):
    """Money, quantities, percents, dates and missing values read the same wherever they are shown."""
    with app.test_request_context(headers={"Accept-Language": "th"}):
        assert report.cell_text(Money(-1050)) == "-฿10.50"
        assert report.cell_text(Quantity(2500, "kg")) == "2.5 กก."
        assert report.cell_text(report.Percent(22.4, signed=True)) == "+22.4%"
        assert report.cell_text(datetime.date(2026, 11, 24)) == "24 พ.ย. 2569"
        assert report.cell_text(None) == "—"
        assert report.is_numeric(Money(0)) and not report.is_numeric("12")


DOWNLOAD_LINK = re.compile(r'href="([^"]+)" data-testid="[\w-]+-(pdf|csv|xlsx)"')


@pytest.mark.parametrize("name", ["z-report", "settlements", "statement", "dashboard", "impact", "mass-balance", "recall"])
def test_every_download_link_of_a_report_page_answers_with_its_file(client, auth, world, name):
    """Each page links its PDF, CSV and XLSX at its own address with the format after it, keeping its query."""
    url, query, _build = builders(world)[name]
    auth.login("admin", "council2")
    page = client.get(f"{url}?{query}" if query else url).get_data(as_text=True)
    links = dict((fmt, html.unescape(href)) for href, fmt in DOWNLOAD_LINK.findall(page))
    assert sorted(links) == ["csv", "pdf", "xlsx"], links
    for fmt, link in links.items():
        assert link.split("?")[0] == f"{url}.{fmt}" and link.partition("?")[2] == query, link
        answer = client.get(link)
        assert answer.status_code == 200 and answer.mimetype == report.FORMATS[fmt], link


def test_mass_balance_downloads_keep_the_alerts_filter(client, auth, world):
    """The file is what the page shows: with only the flagged households ticked, so are the downloads."""
    auth.login("inspector", "checker")
    page = client.get("/market/mass-balance?alerts=1").get_data(as_text=True)
    links = [html.unescape(href) for href, _fmt in DOWNLOAD_LINK.findall(page)]
    assert links and all(link.endswith("?alerts=1") for link in links), links


def test_the_inspector_home_page_counts_mass_balance_alerts_and_links_them(client, app, auth, world):
    """A harvest beyond what the land can yield shows as a task on the inspector's home page, linked to the alerts."""
    from certificates.models import YieldNorm

    YieldNorm.create(product=world["product"], quantity_milli_per_rai=1000, season_days=90)  # 10 kg from one rai is too much
    with app.test_request_context():
        flagged = massbalance.alerts(*massbalance.period({}))
    assert len(flagged) == 1
    auth.login("inspector", "checker")
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" data-testid="task-mass-balance"><strong class="task-count">(\d+)</strong>', home)
    assert link and link.group(2) == "1"
    assert client.get(html.unescape(link.group(1))).get_data(as_text=True).count('class="flagged"') == 1
