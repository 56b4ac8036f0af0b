"""The council's reports in real Chromium, on the demo data set: dashboard charts, mass balance, impact.

GM_SCREENSHOTS=1 also writes docs/screenshots/dashboard-th.png for the README.
"""
import datetime
import importlib
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOT = os.path.join(ROOT, "docs", "screenshots", "dashboard-th.png")


@pytest.fixture
def demo(live_server):
    """The whole demo data set (the same as `python run.py demo`)."""
    for name in ("core", "certificates", "traceability", "market"):
        live_server.seed(importlib.import_module(f"{name}.demo").load_demo_data)
    live_server.make_user("admin", "council")
    live_server.make_user("inspector", "pgs")
    return live_server


def test_dashboard_draws_its_charts_without_scripts(demo, new_page):
    """Every table has an SVG bar chart with one bar per row shown, and the totals are on top."""
    page = new_page()
    demo.sign_in(page, "council")
    start = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    page.goto(f"{demo.url}/market/dashboard?start={start}")
    assert page.get_by_test_id("period-total").inner_text().startswith("฿")
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.is_visible()
        bars = chart.locator("rect.chart-bar")
        assert 1 <= bars.count() <= 10
        assert chart.bounding_box()["width"] > 300
    assert page.evaluate("document.scripts.length") == 0
    if os.environ.get("GM_SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1000, "height": 700})
        page.get_by_test_id("table-products").screenshot(path=SCREENSHOT)


def test_inspector_sees_mass_balance_alerts_with_evidence(demo, new_page):
    """The demo's planted faults (harvests beyond what the land can yield) are flagged, with their batches."""
    page = new_page()
    demo.sign_in(page, "pgs")
    page.goto(f"{demo.url}/market/mass-balance?alerts=1")
    rows = page.locator("[data-testid=mass-balance] tbody tr.flagged")
    assert rows.count() > 0
    rows.first.locator("summary").click()
    assert rows.first.locator("details a.code").count() >= 1


def test_admin_sees_income_change_at_6_and_12_months(demo, new_page):
    page = new_page()
    demo.sign_in(page, "council")
    page.goto(f"{demo.url}/market/impact")
    for label in ("6", "12"):
        section = page.get_by_test_id(f"impact-{label}")
        assert section.locator("svg.chart").is_visible()
        assert section.get_by_test_id(f"income-change-{label}").inner_text().startswith("฿")
