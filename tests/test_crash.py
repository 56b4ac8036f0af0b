"""Crashes: the server killed with SIGKILL while counters sell keeps every acknowledged sale, once.

The real server (`python run.py serve`, waitress) runs as a subprocess on the test database.
Counter threads post sales with their own client ids and remember which ones were answered
201/200; the server is killed at random moments and restarted, and the counters retry what was
not answered with the same ids. At the end every acknowledged sale is there exactly once, the
batch's stock equals the sum of its sale lines, and SQLite's integrity check passes.
"""
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest

from core.db import db
from market import sales
from market.models import Sale, SaleLine
from traceability import batches
from traceability.models import Batch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILLS = 4
SALES_PER_COUNTER = 25
COUNTERS = 3


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(database_url, port):
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret")
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start")


@pytest.fixture
def counter_setup(certified_household, make_user):
    from core import accounts

    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "plot_id": setup["plot"].id, "harvest_date": "2026-11-01", "quantity": "500"},
                                 setup["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, setup["committee"])
    tokens = [accounts.create_token(make_user("cashier", f"counter{n}")) for n in range(COUNTERS)]
    db.close()
    return batch, day, tokens


def test_sigkill_during_sales_loses_and_doubles_nothing(database_url, counter_setup):
    batch, day, tokens = counter_setup
    port = _free_port()
    server = {"process": _start(database_url, port)}
    acknowledged, lock = {}, threading.Lock()

    def counter(token, seed):
        rng = random.Random(seed)
        pending = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(SALES_PER_COUNTER)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            client_id = pending[0]
            body = json.dumps({"client_id": client_id, "market_day_id": day.id,
                               "lines": [{"batch_code": batch.code, "quantity": "1.5", "unit_price_satang": 6000}],
                               "payment": {"method": "cash"}})
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("POST", "/api/v1/sales", body, headers)
                response = connection.getresponse()
                answer = json.loads(response.read())
                connection.close()
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(0.05)  # the server is down: retry the same sale, as the POS does
                continue
            assert response.status in (200, 201), answer
            with lock:
                acknowledged[client_id] = answer["id"]
            pending.pop(0)

    threads = [threading.Thread(target=counter, args=(token, n)) for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            time.sleep(random.uniform(0.2, 0.8))
            server["process"].send_signal(signal.SIGKILL)
            server["process"].wait()
            server["process"] = _start(database_url, port)
        for thread in threads:
            thread.join(150)
    finally:
        server["process"].kill()
        server["process"].wait()

    assert len(acknowledged) == COUNTERS * SALES_PER_COUNTER, "every counter finished its sales"
    with db.connection_context():
        recorded = {sale.client_id: sale.id for sale in Sale.select()}
        assert recorded == acknowledged, "each acknowledged sale is there, once, under the id the counter got"
        lines = SaleLine.select().where(SaleLine.batch == batch.id)
        assert lines.count() == len(acknowledged)
        assert Batch.get_by_id(batch.id).sold_milli == sum(line.quantity_milli for line in lines)
    if database_url.startswith("sqlite"):
        check = sqlite3.connect(database_url[len("sqlite:///"):])
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
