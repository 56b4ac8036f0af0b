"""Money is counted once: sells, refunds, voids and settlements in every order, and a refund racing
a void, leave the Z-reports, the dashboard and the settlements agreeing on the same money."""
import datetime
import itertools
import threading
import uuid

import pytest

from core.db import db
from core.validation import ValidationError
from market import sales, settings, settlements
from market.models import MarketDay, Refund, Sale, SaleLine, Settlement
from reports import dashboard
from traceability import batches
from traceability.models import Batch

BASE_URL = "http://market.test"
TODAY = datetime.date.today()
PERIOD = {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}
FLOAT = 50000


@pytest.fixture
def market(certified_household, make_user):
    """A 10 kg batch of certified kale at ฿60/kg, a cashier, 5 % commission and counter A open with ฿500."""
    setup = dict(certified_household)
    setup["admin"] = setup["committee"]
    setup["cashier"] = make_user("cashier", "kaew")
    setup["batch"] = batches.create_batch({
        "household_id": setup["household"].id, "product_id": setup["product"].id, "plot_id": setup["plot"].id,
        "harvest_date": TODAY.isoformat(), "quantity": "10", "price": "60"}, setup["admin"])
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "0812345678", "commission_percent": "5",
                            "stock_tolerance_percent": "0"}, setup["admin"])
    sales.open_market_day({"counter": "A", "opening_float": "500"}, setup["admin"])
    return setup


def open_day():
    return MarketDay.get(MarketDay.closed_at.is_null())


def sell(setup, quantity, method="cash"):
    data = {"client_id": str(uuid.uuid4()), "market_day_id": open_day().id,
            "lines": [{"batch_code": setup["batch"].code, "quantity": quantity, "unit_price_satang": 6000}],
            "payment": {"method": method}}
    return sales.record_sale(data, setup["cashier"], BASE_URL)[0]


def undoer(setup, sale):
    """The cashier while the sale's day is open, else the secretariat (the rule the counter follows)."""
    return setup["cashier"] if MarketDay.get_by_id(sale.market_day_id).is_open else setup["admin"]


def close_and_settle(setup):
    """Count the drawer (exactly what is expected), close the day and settle what is owed."""
    day = open_day()
    expected = settlements.z_report(day)["expected_cash"]
    sales.close_market_day(day, {"counted_cash": f"{expected / 100:.2f}"}, setup["admin"])
    if settlements.preview(PERIOD)[3]:
        settlements.create_settlements(PERIOD, setup["admin"])


def do(step, setup, sale):
    """One step of the story; a step the rules refuse changes nothing and returns its reason."""
    line = SaleLine.get(SaleLine.sale == sale)
    try:
        if step == "refund":
            sales.refund_line(line, {"quantity": "0.5", "reason": "ช้ำ", "market_day_id": open_day().id},
                              undoer(setup, sale))
        elif step == "void":
            sales.void_sale(sale, {"reason": "คีย์ผิด"}, undoer(setup, sale))
        elif step == "settle":
            close_and_settle(setup)
            sales.open_market_day({"counter": "A", "opening_float": "500"}, setup["admin"])
    except ValidationError as refused:
        return refused.errors
    return None


def assert_counted_once(setup):
    """Every report holds the same money: what was sold and not voided, less what was refunded."""
    kept = sum(s.total_satang for s in Sale.select().where(Sale.voided_at.is_null()))
    refunded = sum(r.amount_satang for r in Refund.select().join(SaleLine).join(Sale).where(Sale.voided_at.is_null()))
    assert not (Refund.select().join(SaleLine).join(Sale).where(Sale.voided_at.is_null(False)).exists()), \
        "a voided sale never has a refund: the money would leave twice"
    money = kept - refunded
    cash = sum(s.cash_satang for s in Sale.select().where(Sale.voided_at.is_null())) - refunded

    reports = [settlements.z_report(day) for day in MarketDay.select()]
    assert sum(r["expected_cash"] - FLOAT for r in reports) == cash
    assert sum(r["sales_total"] - r["refunds"]["total"] for r in reports) == money
    assert sum(row["total_satang"] for r in reports for row in r["by_household"]) - refunded == money

    totals = dashboard.totals(TODAY, TODAY)
    assert totals["net_satang"] == money
    assert sum(amount for _household, amount in dashboard.by_household(TODAY, TODAY)) == money
    assert sum(amount for _day, amount in dashboard.by_day(TODAY, TODAY)) == money

    made = list(Settlement.select())
    assert sum(s.gross_satang - s.refunds_satang for s in made) == money
    assert sum(s.net_satang + s.commission_satang for s in made) == money
    assert all(s.net_satang == s.gross_satang - s.refunds_satang - s.commission_satang for s in made)

    left = 10_000 - sum(line.quantity_milli for line in SaleLine.select().join(Sale).where(Sale.voided_at.is_null()))
    left += sum(r.quantity_milli for r in Refund.select().join(SaleLine).join(Sale).where(Sale.voided_at.is_null()))
    assert Batch.get_by_id(setup["batch"].id).quantity_milli - Batch.get_by_id(setup["batch"].id).sold_milli == left
    return money


@pytest.mark.parametrize("order", list(itertools.permutations(("refund", "void", "settle"))), ids="-".join)
def test_sell_refund_void_and_settle_in_every_order_count_the_money_once(market, order):
    """Whatever the order, a refunded sale is never voided as well, a settled one never voided, and
    the Z-reports, the dashboard and the settlements all hold the same money."""
    sale = sell(market, "2")  # ฿120 cash: refunded, voided and settled in this test's order
    sell(market, "1", method="promptpay")  # ฿60 that nobody touches
    outcomes = {step: do(step, market, sale) for step in order}
    close_and_settle(market)

    done = [step for step in order if outcomes[step] is None]
    if order.index("void") > order.index("refund"):
        assert "reason" in outcomes["void"], "a sale with a refund is not voided whole"
    if order.index("void") > order.index("settle"):
        assert outcomes["void"] is not None, "a settled sale is not voided"
    if "void" in done:
        assert outcomes["refund"] is not None, "a voided sale has nothing to refund"
    money = assert_counted_once(market)
    expected = 6000 + (0 if "void" in done else 12000 - (3000 if "refund" in done else 0))
    assert money == expected
    refund_after_settling = "refund" in done and order.index("refund") > order.index("settle")
    assert Settlement.select().where(Settlement.net_satang < 0).count() == (1 if refund_after_settling else 0), \
        "only a refund of a line already settled is taken off the next settlement (which then holds nothing else)"


def test_the_rest_of_a_refunded_sale_is_refunded_instead_of_voided(market):
    """The counter's way out of 'cannot void': refund what is left, and every total reaches zero."""
    sale = sell(market, "2")
    line = SaleLine.get(SaleLine.sale == sale)
    sales.refund_line(line, {"quantity": "0.5", "reason": "ช้ำ"}, market["cashier"])
    with pytest.raises(ValidationError):
        sales.void_sale(sale, {"reason": "ลูกค้าคืนทั้งหมด"}, market["cashier"])
    sales.refund_line(line, {"quantity": "1.5", "reason": "ลูกค้าคืนทั้งหมด"}, market["cashier"])
    close_and_settle(market)
    assert assert_counted_once(market) == 0
    assert settlements.z_report(MarketDay.get())["expected_cash"] == FLOAT


def test_a_refund_racing_a_void_counts_the_money_once(app, market):
    """Ten times over, a refund and a void of the same sale start together on two connections:
    exactly one of them wins, and the totals agree (row locks on PostgreSQL, the write lock on SQLite)."""
    sold = [sell(market, "0.5") for _round in range(10)]
    db.close()
    winners = []

    def attempt(step, sale, start):
        with app.test_request_context(), db.connection_context():
            start.wait()
            try:
                if step == "void":
                    sales.void_sale(sale, {"reason": "ผิด"}, market["cashier"])
                else:
                    sales.refund_line(SaleLine.get(SaleLine.sale == sale), {"quantity": "0.5", "reason": "คืน"},
                                      market["cashier"])
                winners.append((sale.id, step))
            except ValidationError:
                pass

    for sale in sold:
        start = threading.Barrier(2)
        threads = [threading.Thread(target=attempt, args=(step, sale, start)) for step in ("void", "refund")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    with app.test_request_context(), db.connection_context():
        assert sorted(sale_id for sale_id, _step in winners) == [sale.id for sale in sold], winners
        close_and_settle(market)
        assert assert_counted_once(market) == 0
        assert Batch.get_by_id(market["batch"].id).sold_milli == 0
