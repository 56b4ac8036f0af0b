"""Benchmark: the grower's phone pages and /api/v1/me on a season of one household's data.

Run with `python -m bench.grower_pages [--rounds N]`. One household with a grower account, 120
harvests, 90 market days of sales (10 lines a day: 900 lines), 300 diary entries and 12
settlements, beside 20 other households with as much of everything (the pages must read only
their own). Prints, per page: the median time, the ratio to the sign-in page measured in the same
run (this machine is shared and noisy), the bytes and gzip bytes a phone downloads, and the
SQL statements the request runs. Uses a temporary SQLite database; never touches instance/.
"""
import datetime
import gzip
import tempfile
import uuid

from bench.pages import bench_config, median_ms, rounds_from_command_line
from certificates.models import Activity, InputEntry
from core import accounts, create_app
from core.db import db
from core.models import Household, Plot, Product
from core.validation import local_today
from market.models import MarketDay, Sale, SaleLine, Settlement
from traceability import codes
from traceability.models import Batch

PASSWORD = "benchmark-password"
HOUSEHOLDS = 21
BATCHES, DAYS, LINES_A_DAY, DIARY, SETTLEMENTS = 120, 90, 10, 300, 12


def seed():
    """A season of data for HOUSEHOLDS households; returns the first one's grower and a token."""
    today = local_today()
    admin = accounts.create_user({"username": "council", "role": "admin", "password": PASSWORD})
    product = Product.create(name_th="คะน้า", name_en="Chinese kale", unit="kg", category="vegetable",
                             default_price_satang=6000)
    days = [MarketDay.create(counter="A", market_date=today - datetime.timedelta(days=n), opening_float_satang=0,
                             opened_by=admin) for n in range(DAYS)]
    with db.atomic():
        for number in range(HOUSEHOLDS):
            household = Household.create(code=f"KH-01-{number:03d}", head_name=f"หัวหน้า {number}",
                                         display_name=f"สวน {number}", village_no=1, grower_status="active",
                                         phone="081-000-0000")
            plot = Plot.create(household=household, name="แปลงผัก", area_m2=1600)
            batches = [Batch.create(code=codes.new_code(), household=household, product=product, plot=plot,
                                    harvest_date=today - datetime.timedelta(days=n % DAYS), quantity_milli=100_000,
                                    sold_milli=10_000, unit="kg", price_satang=6000) for n in range(BATCHES)]
            for n in range(DIARY):
                on = today - datetime.timedelta(days=n % DAYS)
                if n % 2:
                    InputEntry.create(household=household, plot=plot, used_on=on, input_type="compost", name="ปุ๋ยหมัก")
                else:
                    Activity.create(household=household, plot=plot, done_on=on, activity="care", notes="ถอนหญ้า")
            for index, day in enumerate(days):
                sale = Sale.create(client_id=str(uuid.uuid4()), market_day=day, cashier=admin, total_satang=0,
                                   payment_method="cash", receipt_token=uuid.uuid4().hex[:24])
                for line in range(LINES_A_DAY):
                    SaleLine.create(sale=sale, batch=batches[(index + line) % BATCHES], household=household,
                                    quantity_milli=1000, unit_price_satang=6000, total_satang=6000,
                                    certification_state="certified")
            for n in range(SETTLEMENTS):
                Settlement.create(household=household, period_start=today - datetime.timedelta(days=7 * n + 6),
                                  period_end=today - datetime.timedelta(days=7 * n), gross_satang=420_000,
                                  commission_basis_points=0, commission_satang=0, net_satang=420_000, created_by=admin,
                                  paid_on=None if n == 0 else today)
    grower = accounts.create_user({"username": "somsri", "role": "grower", "password": PASSWORD},
                                  household=Household.get(Household.code == "KH-01-000"))
    return grower, accounts.create_token(grower)


def statements(call):
    """How many SQL statements one request runs (PRAGMAs and transaction control aside)."""
    seen = []
    execute = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        if not sql.lstrip().upper().startswith(("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(sql)
        return execute(sql, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        call()
    finally:
        db.obj.execute_sql = execute
    return len(seen)


def main():
    rounds = rounds_from_command_line(__doc__, 50)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(bench_config(folder))
        with app.test_request_context():
            _grower, token = seed()
        db.close()
        phone = app.test_client()
        phone.post("/login", data={"username": "somsri", "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {token}"}
        requests = {
            "GET /login (baseline)": lambda: app.test_client().get("/login"),
            "GET /me": lambda: phone.get("/me"),
            "GET /me/diary": lambda: phone.get("/me/diary"),
            "GET /me/harvests": lambda: phone.get("/me/harvests"),
            "GET /me/sales": lambda: phone.get("/me/sales"),
            "GET /api/v1/me": lambda: phone.get("/api/v1/me", headers=bearer),
            "GET /api/v1/me/sales": lambda: phone.get("/api/v1/me/sales", headers=bearer),
            "GET /api/v1/me/diary": lambda: phone.get("/api/v1/me/diary", headers=bearer),
        }
        sizes = {}
        for name, call in requests.items():
            response = call()
            assert response.status_code == 200, (name, response.status_code)
            sizes[name] = (len(response.data), len(gzip.compress(response.data)))
        counts = {name: statements(call) for name, call in requests.items()}
        results = {name: median_ms(call, rounds) for name, call in requests.items()}

    baseline = results["GET /login (baseline)"]
    print(f"{'request':24} {'median ms':>10} {'x login':>8} {'bytes':>8} {'gzip':>7} {'SQL':>5}   ({rounds} rounds each)")
    for name, value in results.items():
        raw, packed = sizes[name]
        print(f"{name:24} {value:10.2f} {value / baseline:8.2f} {raw:8d} {packed:7d} {counts[name]:5d}")


if __name__ == "__main__":
    main()
