"""Soak: counters keep selling while the server is SIGKILLed again and again; how long until they sell again.

Run with `python -m bench.crash [--kills N] [--counters C]`: the long variant of
tests/test_crash.py. It fills a temporary SQLite database with the demo data, starts the real
server (`python run.py serve`, waitress), and lets C counters post one-line cash sales without
pause, each retrying an unanswered sale with the same client id (as the POS does). Every 1-3 s
the server is killed with SIGKILL and started again, N times. Prints, as medians and maxima:
the outage each kill causes (from the kill to the next acknowledged sale) against the server's
plain start-up time measured in the same run, and at the end checks the database: every
acknowledged sale there exactly once, stock = harvested - sold, integrity_check ok.
"""
import argparse
import http.client
import json
import random
import signal
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid

from bench.sales import prepare
from bench.server import free_port, start_server


def counter(port, token, code, price, day_id, stop, acknowledged, lock):
    """Sell without pause until `stop`; an unanswered sale is sent again with the same id."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    client_id = str(uuid.uuid4())
    while not stop.is_set():
        body = json.dumps({"client_id": client_id, "market_day_id": day_id, "payment": {"method": "cash"},
                           "lines": [{"batch_code": code, "quantity": "1", "unit_price_satang": price}]})
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/api/v1/sales", body, headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
            connection.close()
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.02)
            continue
        if response.status not in (200, 201):
            raise SystemExit(f"unexpected answer {response.status}: {answer}")
        with lock:
            acknowledged[client_id] = (answer["id"], time.monotonic())
        client_id = str(uuid.uuid4())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--counters", type=int, default=4)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="gm-crash-")
    url, env, tokens, code, price, day_id, batch_id, _household = prepare(folder)
    port = free_port()

    start_ups = []
    for _ in range(5):  # the baseline: how long the server takes to answer after a plain start
        began = time.monotonic()
        server = start_server(env, port)
        start_ups.append(time.monotonic() - began)
        server.kill()
        server.wait()

    server = start_server(env, port)
    acknowledged, lock, stop = {}, threading.Lock(), threading.Event()
    threads = [threading.Thread(target=counter, args=(port, tokens[n], code, price, day_id, stop, acknowledged, lock))
               for n in range(options.counters)]
    for thread in threads:
        thread.start()
    outages = []
    for _ in range(options.kills):
        time.sleep(random.uniform(1, 3))
        killed_at = time.monotonic()
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = start_server(env, port)
        while True:  # wait for the first sale acknowledged after the kill
            with lock:
                after = [at for _id, at in acknowledged.values() if at > killed_at]
            if after:
                outages.append(min(after) - killed_at)
                break
            time.sleep(0.01)
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(30)
    server.kill()
    server.wait()

    check = sqlite3.connect(url[len("sqlite:///"):])
    recorded = dict(check.execute("SELECT client_id, id FROM sale WHERE market_day_id = ?", (day_id,)).fetchall())
    lines = check.execute("SELECT COUNT(*), SUM(quantity_milli) FROM sale_line WHERE batch_id = ?", (batch_id,)).fetchone()
    quantity, sold = check.execute("SELECT quantity_milli, sold_milli FROM batch WHERE id = ?", (batch_id,)).fetchone()
    integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()

    start_up = statistics.median(start_ups)
    print(f"{options.kills} SIGKILLs while {options.counters} counters sold; {len(acknowledged)} sales acknowledged")
    print(f"server start-up (baseline): median {start_up * 1000:.0f} ms, max {max(start_ups) * 1000:.0f} ms")
    print(f"outage per kill, kill to next acknowledged sale: median {statistics.median(outages) * 1000:.0f} ms "
          f"({statistics.median(outages) / start_up:.2f} x start-up), max {max(outages) * 1000:.0f} ms")
    kept = all(recorded.get(client_id) == sale_id for client_id, (sale_id, _at) in acknowledged.items())
    print(f"every acknowledged sale there once, under its id: {kept}; {len(recorded) - len(acknowledged)} more "
          f"recorded whose answer was lost when the run stopped")
    print(f"stock: sold {sold} = the sale lines' {lines[1]} ({lines[0]} lines): {sold == lines[1]}; "
          f"left {quantity - sold} = harvested {quantity} - sold")
    print(f"SQLite integrity_check: {integrity}")


if __name__ == "__main__":
    main()
