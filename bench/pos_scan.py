"""Benchmark: scan-to-cart latency of the POS in Chromium, keyboard-wedge input, loopback server.

Run with `python -m bench.pos_scan [--scans N]` (needs Debian's chromium and Playwright). It
fills a temporary SQLite database with the demo data, serves the app with werkzeug on
127.0.0.1, signs a cashier in at /pos (1024 x 600) and types a label's URL and Enter N times,
as a USB scanner does; each scan is timed from the Enter key to its cart line on screen. Two
runs in one process: with the counter's local copy (IndexedDB, as the POS normally works, also
offline), and with the copy kept empty so every scan asks the server (GET /api/v1/pos/lookup).
Prints the median and 95th percentile of each, and their ratio.

Each scan is timed twice. "As now": from Python, Enter pressed to the line found by `wait_for`,
which includes Playwright's round trips to the browser and its polling. In the page: from the
keydown of Enter (a capture-phase listener, so before the POS sees it) to just after the frame
that paints the new line (a MutationObserver on the cart, then requestAnimationFrame, then a
message posted from it, which runs once that frame is drawn). The same harness also scans a
trivial page that appends a line on Enter, so its own cost is known in the same run.

With `--before REV` (default main) the POS's scripts and stylesheet of that git revision are served
in place of this tree's (Playwright routes /static/), so before and after are measured in the same run.
Service workers are blocked in every context so that routing reaches the page.
"""
import argparse
import functools
import logging
import os
import statistics
import subprocess
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
STATIC = ("js/pos.js", "js/pos-store.js", "js/pos-scale.js", "js/promptpay.js", "js/qr.js", "css/pos.css")

IN_PAGE_TIMER = """
window.scanTimes = [];
let pressed = null;
document.addEventListener("keydown", (event) => { if (event.key === "Enter") pressed = performance.now(); }, true);
const painted = new MessageChannel();
painted.port1.onmessage = (event) => window.scanTimes.push(performance.now() - event.data);
document.addEventListener("DOMContentLoaded", () => {
  const cart = document.getElementById("cart");
  if (!cart) return;
  new MutationObserver(() => {
    if (pressed === null) return;
    const started = pressed;
    pressed = null;
    requestAnimationFrame(() => painted.port2.postMessage(started));
  }).observe(cart, {childList: true});
});
"""

HARNESS_PAGE = """<!doctype html><html><body>
<form id="scan-form"><input id="scan" autofocus autocomplete="off"></form><ol id="cart"></ol>
<script>
document.getElementById("scan-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const line = document.createElement("li");
  line.dataset.testid = "cart-line";
  line.textContent = document.getElementById("scan").value;
  document.getElementById("scan").value = "";
  document.getElementById("cart").append(line);
});
</script></body></html>"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=50)
    parser.add_argument("--before", default="main", help="git revision whose POS scripts and stylesheet are the 'before' (empty: skip)")
    arguments = parser.parse_args()
    scans = arguments.scans
    before = {name: subprocess.run(["git", "show", f"{arguments.before}:static/{name}"], check=True,
                                   capture_output=True).stdout for name in STATIC} if arguments.before else None
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
            variants = [("this tree", None)] + ([(arguments.before, before)] if before else [])
            for lookup, local_copy in (("local copy", True), ("server lookup", False)):
                for variant, files in variants:
                    context = browser.new_context(viewport={"width": 1024, "height": 600}, service_workers="block")
                    context.add_init_script(IN_PAGE_TIMER)
                    page = context.new_page()
                    if files:
                        page.route("**/static/**", functools.partial(serve_from, files))
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
                    results[f"{lookup}, {variant}"] = (scan_times(page, f"{BASE_URL}/b/{code}", scans),
                                                       page.evaluate("window.scanTimes"))
                    context.close()
            context = browser.new_context(viewport={"width": 1024, "height": 600})
            context.add_init_script(IN_PAGE_TIMER)
            page = context.new_page()
            page.route(f"{base}/harness", lambda route: route.fulfill(body=HARNESS_PAGE, content_type="text/html"))
            page.goto(f"{base}/harness")
            harness = (scan_times(page, f"{BASE_URL}/b/{code}", scans), page.evaluate("window.scanTimes"))
            context.close()
            browser.close()
        server.shutdown()
    print(f"Scan to cart line, {scans} keyboard-wedge scans each, loopback server, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"  {'':36s} {'as now (Playwright)':>26s}   {'in the page (Enter to paint)':>28s}")
    for name, (outside, inside) in [*results.items(), ("harness: a page that appends a line", harness)]:
        print(f"  {name:36s} {summary(outside)}   {summary(inside)}")
    base_outside, base_inside = (statistics.median(times) for times in harness)
    for name, (outside, inside) in results.items():
        print(f"  {name:36s} {statistics.median(outside) / base_outside:5.2f} x the harness as now, "
              f"{statistics.median(inside) / base_inside:5.2f} x in the page")


def serve_from(files, route):
    """Answer a request for one of the POS's static files with its text from `files`; others go to the server."""
    name = route.request.url.split("/static/", 1)[1].split("?")[0]
    if name in files:
        route.fulfill(body=files[name], content_type="text/css" if name.endswith(".css") else "text/javascript")
    else:
        route.continue_()


def summary(latencies):
    """Median and 95th percentile, in milliseconds."""
    if len(latencies) < 2:
        return f"{'(too few: ' + str(len(latencies)) + ')':>28s}"
    return f"median {statistics.median(latencies):6.1f} p95 {statistics.quantiles(latencies, n=20)[-1]:6.1f} ms"

def scan_times(page, label, scans):
    """Milliseconds from Enter to the new cart line, seen from Python, for each of `scans` scans of `label`."""
    lines = page.get_by_test_id("cart-line")
    latencies = []
    for number in range(scans):
        page.keyboard.type(label)
        started = time.perf_counter()
        page.keyboard.press("Enter")
        lines.nth(number).wait_for()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


if __name__ == "__main__":
    main()
