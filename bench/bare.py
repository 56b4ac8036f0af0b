"""The baseline server for the HTTP benchmarks: bare Flask on the same waitress settings as ours.

Run with `python -m bench.bare --port P [--page-bytes N] [--sqlite FILE | --postgresql URL]`. It answers
- `GET /page`: a fixed HTML page of N bytes (the size of the page it stands in for), nothing else;
- `POST /sales` (with --sqlite or --postgresql): the rows of a one-line cash sale (sale, sale
  line, the stock update) written in one transaction (BEGIN IMMEDIATE on SQLite, with our
  PRAGMAs; psycopg2 on PostgreSQL), one connection per thread, and a small JSON answer.
This is the honest ceiling of Flask + waitress + the database for the same work: no sign-in, no checks.
"""
import argparse
import datetime
import sqlite3
import threading
import uuid

from flask import Flask, jsonify, request
from waitress import serve

from core.cli import SERVER_THREADS
from core.db import SQLITE_PRAGMAS

# The three statements of a one-line cash sale, with psycopg2's placeholders (sqlite3 takes "?").
SALE_STATEMENTS = (
    "INSERT INTO sale (client_id, market_day_id, cashier_id, created_at, total_satang, payment_method,"
    " cash_satang, promptpay_satang, tendered_satang, receipt_token, void_reason)"
    " VALUES (%s, %s, %s, %s, %s, 'cash', %s, 0, %s, %s, '') RETURNING id",
    "INSERT INTO sale_line (sale_id, batch_id, household_id, quantity_milli, unit_price_satang,"
    " discount_satang, total_satang, certification_state) VALUES (%s, %s, %s, %s, %s, 0, %s, 'certified')",
    "UPDATE batch SET sold_milli = sold_milli + %s WHERE id = %s AND sold_milli + %s <= quantity_milli",
)


def create_bare_app(page_bytes, sqlite_path=None, postgresql_url=None):
    app = Flask("bare")
    page = ("<!doctype html><title>bare</title>" + "x" * page_bytes)[:page_bytes].encode()
    local = threading.local()
    statements = SALE_STATEMENTS if postgresql_url else tuple(sql.replace("%s", "?") for sql in SALE_STATEMENTS)

    def connection():
        if not hasattr(local, "connection"):
            if postgresql_url:
                import psycopg2

                local.connection = psycopg2.connect(postgresql_url)  # the first statement opens the transaction
            else:
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
        cursor = db.cursor()
        if not postgresql_url:
            cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(statements[0], (data["client_id"], data["market_day_id"], data["cashier_id"],
                                           datetime.datetime.utcnow(), total, total, total, uuid.uuid4().hex[:16]))
            sale_id = cursor.fetchone()[0]
            cursor.execute(statements[1], (sale_id, data["batch_id"], data["household_id"], quantity,
                                           line["unit_price_satang"], total))
            cursor.execute(statements[2], (quantity, data["batch_id"], quantity))
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return jsonify({"id": sale_id, "client_id": data["client_id"], "total_satang": total}), 201

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--page-bytes", type=int, default=2000)
    parser.add_argument("--sqlite", help="the database file POST /sales writes to")
    parser.add_argument("--postgresql", help="the database URL POST /sales writes to, instead of --sqlite")
    args = parser.parse_args()
    serve(create_bare_app(args.page_bytes, args.sqlite, args.postgresql), host="127.0.0.1", port=args.port,
          threads=SERVER_THREADS, ident="bare")


if __name__ == "__main__":
    main()
