"""Benchmark: start-up and the registry pages on the demo data set, in one process.

Run with `python -m bench.pages [--rounds N]`. Prints medians, and each page's median as a ratio
to the sign-in page (the cheapest page, measured in the same run), since this machine is noisy.
Uses a temporary SQLite database; never touches instance/.
"""
import argparse
import statistics
import tempfile
import time

from core import accounts, create_app
from core.db import db
from core.demo import load_demo_data
from core.models import Household

PASSWORD = "benchmark-password"


def rounds_from_command_line(description, default):
    """How many times to time each request: `--rounds N`, or `default`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=default)
    return parser.parse_args().rounds


def bench_config(folder):
    """The app's settings for a benchmark on a fresh SQLite database in `folder`, never instance/."""
    return {"DATABASE_URL": f"sqlite:///{folder}/bench.db", "INSTANCE_PATH": folder,
            "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes", "WTF_CSRF_ENABLED": False}


def median_ms(function, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main():
    rounds = rounds_from_command_line(__doc__, 200)
    with tempfile.TemporaryDirectory() as folder:
        config = bench_config(folder)
        started = time.perf_counter()
        app = create_app(config)
        fresh_ms = (time.perf_counter() - started) * 1000
        with app.test_request_context():
            load_demo_data()
            accounts.create_user({"username": "bench", "role": "admin", "password": PASSWORD})
            household_id = Household.select().first().id
            token = accounts.create_token(accounts.User.get(accounts.User.username == "bench"))
        db.close()
        existing_ms = median_ms(lambda: create_app(config), 10)

        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": PASSWORD})
        api = app.test_client()
        bearer = {"Authorization": f"Bearer {token}"}
        pages = {
            "GET /login (baseline)": lambda: app.test_client().get("/login"),
            "GET /households (40 rows)": lambda: client.get("/households"),
            "GET /households/<id>": lambda: client.get(f"/households/{household_id}"),
            "GET /households/export.xlsx": lambda: client.get("/households/export.xlsx"),
            "GET /api/v1/households": lambda: api.get("/api/v1/households", headers=bearer),
        }
        for check in pages.values():
            assert check().status_code == 200
        results = {name: median_ms(call, rounds) for name, call in pages.items()}

    baseline = results["GET /login (baseline)"]
    print(f"create_app on a new database: {fresh_ms:.1f} ms (one run)")
    print(f"create_app on an existing database: median {existing_ms:.1f} ms over 10 runs")
    print(f"{'request':32} {'median ms':>10} {'x baseline':>11}   ({rounds} rounds each)")
    for name, value in results.items():
        print(f"{name:32} {value:10.2f} {value / baseline:11.2f}")


if __name__ == "__main__":
    main()
