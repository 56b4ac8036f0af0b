"""Benchmark: the trace page /b/<code> and the certificate page /c/<number> against bare Flask pages.

Run with `python -m bench.public_pages [--seconds N] [--rounds R] [--connections C]`. It fills a
temporary SQLite database with the demo data, starts the real server (`python run.py serve`,
waitress) and the baseline (`bench/bare.py`: bare Flask on the same waitress settings answering
a fixed page of the same size), and loads each with `wrk` (Debian's package; without it, Python
client threads in this process) over C keep-alive connections for N seconds, alternating the
servers R times. Prints the median requests/s and latency of each and its ratio to the bare page
of the same size; also the trace page asked again with its ETag (a phone reloading: 304).
Never touches instance/.
"""
import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from bench.server import fill_with_demo, free_port, start_bare, start_server, stop
from certificates.models import Certificate
from core import create_app
from core.db import db
from market import sales
from traceability.models import Batch

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, seconds, connections, headers=()):
    """Requests/s and median latency in ms of `url` under wrk."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", output).groups()
    if re.search(r"Non-2xx or 3xx responses", output):
        raise SystemExit(f"errors from {url}:\n{output}")
    return rate, float(value) * UNITS[unit]


def python_clients(url, seconds, connections, headers=()):
    """The same measurement with Python threads, where wrk is not installed (slower clients)."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    extra = dict(header.split(": ", 1) for header in headers)
    latencies, stop = [], time.perf_counter() + seconds

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection.request("GET", path, headers=extra)
            response = connection.getresponse()
            response.read()
            if response.status not in (200, 304):
                raise SystemExit(f"{url}: {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), statistics.median(latencies)


def page(url, headers=None):
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read(), {name.lower(): value for name, value in response.getheaders()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    load = wrk if shutil.which("wrk") else python_clients
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"}
        fill_with_demo(env)
        create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"})
        with db.connection_context():
            code = next(b for b in Batch.select() if b.product.is_certifiable and sales.refusal_for(b) is None).code
            number = Certificate.select(Certificate.number).where(Certificate.status == "active").scalar()
        db.close()
        ours_port, bare_ports = free_port(), {}
        ours = start_server(env, ours_port)
        servers = [ours]
        try:
            targets = {}
            for name, path in (("trace page /b/<code>", f"/b/{code}"), ("certificate page /c/<number>", f"/c/{number}")):
                status, body, headers = page(f"http://127.0.0.1:{ours_port}{path}")
                assert status == 200, (path, status)
                bare_port = free_port()
                servers.append(start_bare(bare_port, "--page-bytes", str(len(body))))
                bare_ports[name] = bare_port
                targets[name] = (f"http://127.0.0.1:{ours_port}{path}", f"http://127.0.0.1:{bare_port}/page",
                                 len(body), headers.get("etag"))
            results = {name: {"ours": [], "bare": [], "304": []} for name in targets}
            for _round in range(args.rounds):
                for name, (ours_url, bare_url, _size, etag) in targets.items():
                    results[name]["bare"].append(load(bare_url, args.seconds, args.connections))
                    results[name]["ours"].append(load(ours_url, args.seconds, args.connections))
                    if etag is None:  # a version of the app without conditional requests
                        continue
                    assert page(ours_url, {"If-None-Match": etag})[0] == 304
                    results[name]["304"].append(load(ours_url, args.seconds, args.connections,
                                                     [f"If-None-Match: {etag}"]))
        finally:
            stop(*servers)
    tool = "wrk -t2" if load is wrk else "Python client threads"
    print(f"Public pages through waitress ({tool}, {args.connections} connections, {args.seconds} s x "
          f"{args.rounds} rounds, medians), {os.cpu_count()} CPUs")
    for name, runs in results.items():
        size = targets[name][2]
        bare_rate = statistics.median(rate for rate, _ in runs["bare"])
        print(f"  {name} ({size} bytes)")
        for kind, label in (("bare", "bare Flask page, same size"), ("ours", "ours"), ("304", "ours, reload with ETag (304)")):
            if not runs[kind]:
                continue
            rate = statistics.median(rate for rate, _ in runs[kind])
            latency = statistics.median(ms for _, ms in runs[kind])
            print(f"    {label:32s} {rate:8.0f} req/s  {rate / bare_rate:5.2f} x bare   median {latency:6.2f} ms")


if __name__ == "__main__":
    main()
