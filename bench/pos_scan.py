"""Benchmark: scan-to-cart latency of the POS in Chromium, keyboard-wedge input, loopback server.

Run with `python -m bench.pos_scan [--scans N]` (needs Debian's chromium and Playwright). It
fills a temporary SQLite database with the demo data, serves the app with werkzeug on
127.0.0.1, signs a cashier in at /pos (1024 x 600) and types a label's URL and Enter N times,
as a USB scanner does; each scan is timed from the Enter key to its cart line on screen. Two
runs in one process: with the counter's local copy (IndexedDB, as the POS normally works, also
offline), and with the copy kept empty so every scan asks the server (GET /api/v1/pos/lookup).
Prints the median and 95th percentile of each, and their ratio.
"""
import argparse
import logging
import os
import statistics
import tempfile
import threading
import time

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.server import fill_with_demo
from core import accounts, create_app
from core.db import db
from market import sales
from traceability import batches
from traceability.models import Batch

CHROMIUM = "/usr/bin/chromium"
BASE_URL = "http://market.example"
PASSWORD = "bench-password-1"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=50)
    scans = parser.parse_args().scans
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request would drown the result
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"}
        fill_with_demo(env)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
                          "GREENMARKET_BASE_URL": BASE_URL})
        with app.app_context(), db.connection_context():
            cashier = accounts.create_user({"username": "bench-cashier", "role": "cashier", "password": PASSWORD})
            template = next(b for b in Batch.select() if b.unit == "kg" and sales.refusal_for(b) is None)
            code = batches.create_batch({"household_id": template.household_id, "product_id": template.product_id,
                                         "plot_id": template.plot_id, "harvest_date": template.harvest_date.isoformat(),
                                         "quantity": "5000"}, cashier).code  # enough for every scan
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for name, local_copy in (("local copy (IndexedDB)", True), ("server lookup", False)):
                context = browser.new_context(viewport={"width": 1024, "height": 600})
                page = context.new_page()
                if not local_copy:
                    page.route("**/api/v1/pos/batches*", lambda route: route.abort())
                page.goto(f"{base}/login")
                page.fill("#f-username", "bench-cashier")
                page.fill("#f-password", PASSWORD)
                with page.expect_navigation():
                    page.click("main form button[type=submit]")
                page.goto(f"{base}/pos")
                if local_copy:
                    page.get_by_test_id("data-age").filter(has_text=":").wait_for()
                results[name] = scan_times(page, code, scans)
                context.close()
            browser.close()
        server.shutdown()
    print(f"Scan to cart line, {scans} keyboard-wedge scans each, loopback server, {os.cpu_count()} CPUs")
    baseline = statistics.median(results["server lookup"])
    for name, latencies in results.items():
        p95 = statistics.quantiles(latencies, n=20)[-1]
        median = statistics.median(latencies)
        print(f"  {name:24s} median {median:6.1f} ms, p95 {p95:6.1f} ms   {median / baseline:4.2f} x server lookup")


def scan_times(page, code, scans):
    """Milliseconds from Enter to the new cart line, for each of `scans` scans of a kilo batch."""
    lines = page.get_by_test_id("cart-line")
    latencies = []
    for number in range(scans):
        page.keyboard.type(f"{BASE_URL}/b/{code}")
        started = time.perf_counter()
        page.keyboard.press("Enter")
        lines.nth(number).wait_for()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


if __name__ == "__main__":
    main()
