"""Load test: 50 shoppers on the trace page for 60 seconds while 4 counters sell, on the real server.

Run with `python -m bench.load [--seconds N] [--shoppers S] [--counters C]`. It fills a
temporary SQLite database with the demo data, starts `python run.py serve` (waitress), and:
1. baseline: the shoppers request `/healthz` (a fixed answer from a bare Flask handler) for N s;
2. load: the shoppers open trace pages of random demo batches while the counters post sales.
Each client keeps one keep-alive connection. Prints requests/s, errors, median and 95th
percentile latency per kind, the trace page's throughput as a ratio to the baseline, and the
server's peak memory (VmHWM). The clients run in this process (Python threads), so on a
2-core machine they share the CPU with the server: figures are for comparison in one run.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid

from bench.sales import prepare
from bench.server import free_port, start_server, stop
from core import create_app
from core.db import db
from traceability.models import Batch


def client_loop(port, stop, make_request, results, kind):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    while time.perf_counter() < stop:
        method, path, body, headers, ok = make_request()
        started = time.perf_counter()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            response.read()
            if response.status not in ok:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    results.append((kind, latencies, errors))


def run_phase(port, seconds, clients):
    """clients: list of (kind, make_request); returns {kind: (requests/s, median, p95, errors)}."""
    stop = time.perf_counter() + seconds
    results = []
    threads = [threading.Thread(target=client_loop, args=(port, stop, make, results, kind)) for kind, make in clients]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    summary = {}
    for kind in {kind for kind, _make in clients}:
        latencies = [ms for k, values, _e in results if k == kind for ms in values]
        errors = sum(e for k, _v, e in results if k == kind)
        summary[kind] = (len(latencies) / elapsed, statistics.median(latencies),
                         statistics.quantiles(latencies, n=20)[-1], errors)
    return summary


def peak_memory_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--shoppers", type=int, default=50)
    parser.add_argument("--counters", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, env, tokens, code, price, day_id, _batch_id, _household = prepare(folder)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"})
        with app.app_context(), db.connection_context():
            trace_codes = [b.code for b in Batch.select(Batch.code)]
        port = free_port()
        server = start_server(env, port)
        try:
            health = ("health", lambda: ("GET", "/healthz", None, {}, (200,)))
            baseline = run_phase(port, args.seconds, [health] * args.shoppers)
            shopper = ("trace page", lambda: ("GET", f"/b/{random.choice(trace_codes)}", None, {}, (200,)))

            def sale(token):
                return ("sale", lambda: ("POST", "/api/v1/sales", json.dumps({
                    "client_id": str(uuid.uuid4()), "market_day_id": day_id,
                    "lines": [{"batch_code": code, "quantity": "0.5", "unit_price_satang": price}],
                    "payment": {"method": "cash"}}), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    (201,)))

            load = run_phase(port, args.seconds, [shopper] * args.shoppers + [sale(tokens[n]) for n in range(args.counters)])
            memory = peak_memory_kb(server.pid)
        finally:
            stop(server)
    print(f"{args.shoppers} shoppers, {args.counters} counters, {args.seconds:g} s per phase, {os.cpu_count()} CPUs, waitress 8 threads")
    for name, summary in (("baseline", baseline), ("load", load)):
        for kind, (rate, median, p95, errors) in sorted(summary.items()):
            print(f"  {name:8s} {kind:11s} {rate:8.1f} req/s  median {median:7.1f} ms  p95 {p95:7.1f} ms  errors {errors}")
    print(f"  trace page throughput / bare handler: {load['trace page'][0] / baseline['health'][0]:.2f}")
    print(f"  server peak memory (VmHWM): {memory / 1024:.0f} MB")


if __name__ == "__main__":
    main()
