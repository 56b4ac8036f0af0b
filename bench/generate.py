"""Generate a decade of market data in a SQLite file, for benchmarking the reports at scale.

Run with `python -m bench.generate [--sale-lines N] [--households H] [--batches B] [--out FILE]`.
Defaults: 500 households, 50,000 batches and 2,000,000 sale lines over ten years of weekly
market days at two counters. The schema comes from the app itself; the rows are written with
sqlite3's executemany in large transactions (the app's own functions would take hours).
The demo's products, standards and one certificate per certified household are included so the
trace page and the mass balance have something real to show.
"""
import argparse
import datetime
import os
import random
import sqlite3
import time
import uuid

from certificates.standards import ensure_default_standards
from core import create_app
from core.db import db
from core.demo import PRODUCTS
from traceability import codes

YEARS = 10
COUNTERS = ("A", "B")
LINES_PER_SALE = 2
CHUNK = 50_000


def _schema(path):
    """Create the app's tables (and its standards) in a fresh database file."""
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": os.path.dirname(path),
                      "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"})
    with app.app_context(), db.connection_context():
        ensure_default_standards()


def generate(path, households, batches, sale_lines, seed=2026):
    rng = random.Random(seed)
    _schema(path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("PRAGMA synchronous=off")
    run = connection.executemany
    connection.execute("BEGIN")
    now = datetime.datetime(2026, 11, 1)
    connection.execute("INSERT INTO user (username, full_name, role, password_hash, is_active, is_committee, created_at,"
                       " uses_pin) VALUES ('generator', '', 'admin', '!', 0, 1, ?, 0)", (now,))
    run("INSERT INTO product (name_th, name_en, unit, category, is_certifiable, making_certified, default_price_satang,"
        " is_active) VALUES (?, ?, ?, ?, ?, 0, ?, 1)",
        [(name_th, name_en, unit, category, certifiable, int(price) * 100)
         for name_th, name_en, unit, category, certifiable, price in PRODUCTS])
    product_ids = [row[0] for row in connection.execute("SELECT id FROM product WHERE is_certifiable = 1")]
    run("INSERT INTO household (code, head_name, display_name, village_no, address, phone, national_id, is_elderly,"
        " is_disabled, is_low_income, disadvantaged_other, grower_status, pledge_date, notes, created_at, updated_at,"
        " grower_prints_labels) VALUES (?, ?, ?, ?, '', '', '', 0, 0, 0, '', 'active', '2016-01-01', '', ?, ?, 0)",
        [(f"KH-{n:05d}", f"ครัวเรือน {n}", f"สวน {n}", n % 12 + 1, now, now) for n in range(1, households + 1)])
    run("INSERT INTO plot (household_id, name, area_m2, main_crops, notes) VALUES (?, 'แปลงผัก', ?, '', '')",
        [(h, rng.randrange(400, 6400)) for h in range(1, households + 1)])
    standard = connection.execute("SELECT id FROM standard LIMIT 1").fetchone()[0]
    body = connection.execute("SELECT id FROM certifying_body LIMIT 1").fetchone()[0]
    run("INSERT INTO certificate (number, household_id, standard_id, body_id, decision_id, issued_on, valid_until, status,"
        " status_reason, conditions) VALUES (?, ?, ?, ?, NULL, '2016-01-01', '2036-12-31', 'active', '', '')",
        [(f"KH-GEN-{h:05d}", h, standard, body) for h in range(1, households + 1)])
    run("INSERT INTO certificate_product (certificate_id, product_id) VALUES (?, ?)",
        [(h, p) for h in range(1, households + 1) for p in product_ids])
    run("INSERT INTO certificate_plot (certificate_id, plot_id) VALUES (?, ?)", [(h, h) for h in range(1, households + 1)])

    start = datetime.date(2016, 11, 1)
    days = [(counter, start + datetime.timedelta(weeks=week)) for week in range(52 * YEARS) for counter in COUNTERS]
    run("INSERT INTO market_day (counter, market_date, opening_float_satang, opened_at, opened_by_id, closed_at,"
        " closed_by_id, counted_cash_satang, notes) VALUES (?, ?, 50000, ?, 1, ?, 1, 0, '')",
        [(counter, day, day, day) for counter, day in days])

    seen = set()
    batch_rows = []
    for number in range(batches):
        code = codes.new_code()
        while code in seen:
            code = codes.new_code()
        seen.add(code)
        household = rng.randrange(1, households + 1)
        harvest = start + datetime.timedelta(days=number * 7 * 52 * YEARS // batches)
        batch_rows.append((code, household, rng.choice(product_ids), household, harvest, 1_000_000, 6000, now))
    run("INSERT INTO batch (code, household_id, product_id, plot_id, harvest_date, quantity_milli, sold_milli, unit,"
        " price_satang, notes, recall_reason, created_at, changed_at, kind, awaiting_check) VALUES (?, ?, ?, ?, ?, ?, 0, 'kg',"
        " ?, '', '', ?, ?, 'harvest', 0)", [row + (row[-1],) for row in batch_rows])
    batch_household = {index + 1: row[1] for index, row in enumerate(batch_rows)}
    connection.execute("COMMIT")

    sales = sale_lines // LINES_PER_SALE
    per_day = max(1, sales // len(days))
    written = 0
    for day_index in range(0, len(days)):
        if written >= sales:
            break
        connection.execute("BEGIN")
        day_id = day_index + 1
        market_date = days[day_index][1]
        # The batches on sale that day: those harvested in the two weeks before it.
        first = max(1, (day_index // len(COUNTERS)) * batches // (52 * YEARS) - 10)
        count = min(per_day, sales - written)
        first_sale = connection.execute("SELECT COALESCE(MAX(id), 0) FROM sale").fetchone()[0] + 1
        run("INSERT INTO sale (client_id, market_day_id, cashier_id, created_at, total_satang, payment_method,"
            " cash_satang, promptpay_satang, tendered_satang, receipt_token, void_reason)"
            " VALUES (?, ?, 1, ?, 6000, 'cash', 6000, 0, 6000, ?, '')",
            [(str(uuid.UUID(int=rng.getrandbits(128))), day_id, market_date, uuid.UUID(int=rng.getrandbits(128)).hex[:16])
             for _ in range(count)])
        lines = []
        for sale in range(first_sale, first_sale + count):
            for _ in range(LINES_PER_SALE):
                batch = min(batches, first + rng.randrange(0, 20))
                lines.append((sale, batch, batch_household[batch]))
        run("INSERT INTO sale_line (sale_id, batch_id, household_id, quantity_milli, unit_price_satang, discount_satang,"
            " total_satang, certification_state) VALUES (?, ?, ?, 500, 6000, 0, 3000, 'certified')", lines)
        connection.execute("COMMIT")
        written += count
    connection.execute("UPDATE batch SET sold_milli = (SELECT COALESCE(SUM(quantity_milli), 0) FROM sale_line"
                       " WHERE sale_line.batch_id = batch.id)")
    connection.execute("ANALYZE")
    connection.close()
    return {"households": households, "batches": batches, "market_days": len(days), "sales": written,
            "sale_lines": written * LINES_PER_SALE}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sale-lines", type=int, default=2_000_000)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--batches", type=int, default=50_000)
    parser.add_argument("--out", default="bench-decade.db")
    args = parser.parse_args()
    if os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists; choose another --out or remove it")
    started = time.perf_counter()
    counts = generate(os.path.abspath(args.out), args.households, args.batches, args.sale_lines)
    print(f"{args.out}: {counts} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
