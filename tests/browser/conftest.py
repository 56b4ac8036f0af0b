"""Fixtures for driving the real app in Debian's Chromium through Playwright's sync API.

The app runs in a werkzeug server on a free port in a background thread, with real CSRF, on the
same per-test database as the other tests. Every browser test is skipped, with the reason, where
Chromium or Playwright is missing. A page that logs a Content-Security-Policy violation or a
JavaScript error fails its test.
"""
import contextlib
import importlib.util
import os
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import ThreadedWSGIServer

from core import accounts, create_app
from core.db import db

from tests.browser import seeds
from tests.support import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
# Problems the pages of one test reported, kept on the test item until its call ends.
PAGE_PROBLEMS = pytest.StashKey[list]()

SKIP_REASON = None
if not os.path.exists(CHROMIUM):
    SKIP_REASON = f"Chromium not installed at {CHROMIUM}: apt-get install chromium"
elif importlib.util.find_spec("playwright") is None:
    SKIP_REASON = "Playwright not installed: python -m pip install -r requirements-dev.txt"


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`; skip them all where Chromium or Playwright is missing."""
    folder = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(folder):
            item.add_marker(pytest.mark.browser)
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test (not only its teardown) when a page it opened logged a problem."""
    result = yield
    problems = item.stash.get(PAGE_PROBLEMS, [])
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)
    return result


class StoppableServer(ThreadedWSGIServer):
    """werkzeug's threaded server, whose close also ends the connections Chromium keeps alive.

    A kept-alive connection's thread outlived shutdown() and answered requests after its test, on
    a pooled database connection that the next test's app closed under it: a worker crashed in CI.
    Closing ends those connections (as a stopped server would) and waits for every request's thread.
    """

    daemon_threads = False  # so socketserver's server_close() joins each connection's thread

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self):
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # the browser may have closed it already
                    connection.shutdown(socket.SHUT_RDWR)
        super().server_close()


class LiveServer:
    """The app served over real HTTP: its base URL, and helpers to seed its database."""

    def __init__(self, app, port=0):
        self.app = app
        self.start(port)

    def start(self, port=0):
        """Serve on `port` (a free one when 0) in a background thread."""
        self.server = StoppableServer("127.0.0.1", port, self.app)
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        """Stop answering: open connections are closed and new ones refused until start() on the same port.

        Returns once no request is being answered, so nothing of the app runs after its test.
        """
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def seed(self, function, *args, **kwargs):
        """Run `function` against the app's database from the test's own thread."""
        with self.app.test_request_context(), db.connection_context():
            return function(*args, **kwargs)

    def make_user(self, role="admin", username=None, password=PASSWORD, **extra):
        """Create a staff account the browser can sign in with."""
        return self.seed(
            accounts.create_user,
            {"username": username or f"{role}1", "role": role, "password": password, **extra},
        )

    def sign_in(self, page, username, password=PASSWORD):
        """Sign in through the real form and wait for the page it leads to."""
        page.goto(f"{self.url}/login")
        page.fill("#f-username", username)
        page.fill("#f-password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/login" not in page.url, page.inner_text("main")


@pytest.fixture
def live_server(app_config):
    """Serve a fresh app (real CSRF) on 127.0.0.1 and a free port; yield a LiveServer."""
    server = LiveServer(create_app(dict(app_config, WTF_CSRF_ENABLED=True)))
    yield server
    server.stop()
    if not db.is_closed():
        db.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _watch(page, problems):
    """Collect CSP violations and script errors the page reports into `problems`."""

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text:
            problems.append(f"CSP violation on {page.url}: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            # A failed load is an HTTP status the test itself checks (a form refused with 400).
            problems.append(f"console error on {page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))


@pytest.fixture
def page_problems(request):
    """What this test's pages reported (CSP violations, script errors); non-empty fails the test."""
    return request.node.stash.setdefault(PAGE_PROBLEMS, [])


@pytest.fixture
def new_page(browser, page_problems):
    """Open pages in fresh browser contexts (no shared cookies): new_page(viewport={...}, **context options)."""
    contexts = []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="th-TH", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page, page_problems)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280x900) in its own browser context."""
    return new_page()


@pytest.fixture
def market(live_server):
    """A market ready to sell (tests/browser/seeds.py), a cashier "kaew", and the batch codes by name."""
    committee = live_server.make_user("admin", "council")
    live_server.make_user("cashier", "kaew")
    codes, day_id = live_server.seed(seeds.seed_market, committee)
    return {"server": live_server, "codes": codes, "day_id": day_id}
