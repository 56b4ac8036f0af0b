"""The baseline server for the HTTP benchmarks: bare Flask on the same waitress settings as ours.

Run with `python -m bench.bare --port P [--page-bytes N] [--sqlite FILE]`. It answers
- `GET /page`: a fixed HTML page of N bytes (the size of the page it stands in for), nothing else;
- `POST /sales` (with --sqlite): the rows of a one-line cash sale (sale, sale line, the stock
  update) written with the sqlite3 module in one BEGIN IMMEDIATE transaction, one connection per
  thread with our PRAGMAs, and a small JSON answer.
This is the honest ceiling of Flask + waitress + SQLite for the same work: no sign-in, no checks.
"""
import argparse
import sqlite3
import threading
import uuid


from flask import Flask, jsonify, request
from waitress import serve

from core.cli import SERVER_THREADS
from core.db import SQLITE_PRAGMAS


def create_bare_app(page_bytes, sqlite_path=None):
    app = Flask("bare")
    page = ("<!doctype html><title>bare</title>" + "x" * page_bytes)[:page_bytes].encode()
    local = threading.local()

    def connection():
        if not hasattr(local, "connection"):
            local.connection = sqlite3.connect(sqlite_path, isolation_level=None, timeout=10)
            for name, value in SQLITE_PRAGMAS.items():
                local.connection.execute(f"PRAGMA {name} = {value}")
        return local.connection

    @app.get("/page")
    def fixed_page():
        return page, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.post("/sales")
    def sale():
        data = request.get_json()
        line = data["lines"][0]
        quantity = int(float(line["quantity"]) * 1000)
        total = quantity * line["unit_price_satang"] // 1000
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            cursor = db.execute(
                "INSERT INTO sale (client_id, market_day_id, cashier_id, created_at, total_satang, payment_method,"
                " cash_satang, promptpay_satang, tendered_satang, receipt_token, void_reason)"
                " VALUES (?, ?, ?, datetime('now'), ?, 'cash', ?, 0, ?, ?, '')",
                (data["client_id"], data["market_day_id"], data["cashier_id"], total, total, total, uuid.uuid4().hex[:16]))
            db.execute(
                "INSERT INTO sale_line (sale_id, batch_id, household_id, quantity_milli, unit_price_satang,"
                " discount_satang, total_satang, certification_state) VALUES (?, ?, ?, ?, ?, 0, ?, 'certified')",
                (cursor.lastrowid, data["batch_id"], data["household_id"], quantity, line["unit_price_satang"], total))
            db.execute("UPDATE batch SET sold_milli = sold_milli + ? WHERE id = ? AND sold_milli + ? <= quantity_milli",
                       (quantity, data["batch_id"], quantity))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return jsonify({"id": cursor.lastrowid, "client_id": data["client_id"], "total_satang": total}), 201

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--page-bytes", type=int, default=2000)
    parser.add_argument("--sqlite", help="the database file POST /sales writes to")
    args = parser.parse_args()
    serve(create_bare_app(args.page_bytes, args.sqlite), host="127.0.0.1", port=args.port,
          threads=SERVER_THREADS, ident="bare")


if __name__ == "__main__":
    main()
