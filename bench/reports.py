"""Benchmark: the reports on a decade of data (bench/generate.py), and the trace page against an empty database.

Run with `python -m bench.reports [--db FILE] [--rounds N]`. Without --db it generates the
default decade (about a minute) into a temporary folder. Times, as medians over the rounds,
the dashboard for the last month and the last year, the settlement preview for a month, the
mass balance for a 90-day season, the page of the household with the most batches, that
household's grower's home and sales pages, and the trace page; then the trace page on an empty database
with one batch, and prints the ratio of the two trace-page times.
"""
import argparse
import datetime
import os
import shutil
import statistics
import tempfile
import time

from peewee import fn

from bench.generate import generate
from core import accounts, create_app
from core.db import db
from core.models import Household
from traceability.models import Batch

LAST_DAY = datetime.date(2026, 10, 31)  # the generator's data ends in October 2026


def median_ms(function, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = function()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def signed_in_clients(path, folder):
    """An admin's client and a grower's of the household with the most batches; the newest batch's code."""
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context(), db.connection_context():
        accounts.create_user({"username": "bench-admin", "role": "admin", "password": "bench-password-1"})
        code = Batch.select(Batch.code).order_by(Batch.id.desc()).scalar()
        busiest = (Batch.select(Batch.household).group_by(Batch.household)
                   .order_by(fn.COUNT(Batch.id).desc()).limit(1).scalar())
        accounts.create_user({"username": "bench-grower", "role": "grower", "password": "bench-password-1"},
                             household=Household.get_by_id(busiest))
    client, grower = app.test_client(), app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": "bench-password-1"})
    grower.post("/login", data={"username": "bench-grower", "password": "bench-password-1"})
    return client, grower, code, busiest


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a database made by bench/generate.py (it is copied, never changed)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big = os.path.join(folder, "decade.db")
        if args.db:
            shutil.copy(args.db, big)
        else:
            generate(big, 500, 50_000, 2_000_000)
        small = os.path.join(folder, "small.db")
        generate(small, 1, 1, 0)
        client, grower, code, household_id = signed_in_clients(big, folder)
        month = f"start={LAST_DAY.replace(day=1)}&end={LAST_DAY}"
        year = f"start={LAST_DAY - datetime.timedelta(days=364)}&end={LAST_DAY}"
        season = f"start={LAST_DAY - datetime.timedelta(days=89)}&end={LAST_DAY}"
        settle = f"period_start={LAST_DAY.replace(day=1)}&period_end={LAST_DAY}"
        pages = {
            "dashboard, last month": (client, f"/market/dashboard?{month}"),
            "dashboard, last year": (client, f"/market/dashboard?{year}"),
            "settlement preview, last month": (client, f"/market/settlements?{settle}"),
            "mass balance, 90 days": (client, f"/market/mass-balance?{season}"),
            "household page, most batches": (client, f"/households/{household_id}"),
            "grower's home /me, most batches": (grower, "/me"),
            "grower's sales /me/sales, same": (grower, "/me/sales"),
            "trace page /b/<code>": (client, f"/b/{code}"),
        }
        results = {name: median_ms(lambda who=who, url=url: who.get(url), args.rounds)
                   for name, (who, url) in pages.items()}
        empty_client, _grower, empty_code, _household_id = signed_in_clients(small, folder)
        empty_trace = median_ms(lambda: empty_client.get(f"/b/{empty_code}"), args.rounds * 10)
    print(f"Reports on a decade of data (SQLite), median of {args.rounds} rounds, {os.cpu_count()} CPUs")
    for name, ms in results.items():
        print(f"  {name:34s} {ms:8.1f} ms")
    print(f"  {'trace page, empty database':34s} {empty_trace:8.1f} ms")
    print(f"  trace page ratio, decade / empty: {results['trace page /b/<code>'] / empty_trace:.2f}")


if __name__ == "__main__":
    main()
