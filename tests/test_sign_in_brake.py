"""The sign-in brake slows a guesser without locking out the real user (SECURITY.md).

Failures count per name and address pair with growing waits; wider counts per name and per
address brake only devices the name does not know; a browser that signed in before carries a
signed known-device cookie and has its own count. Counting is atomic, and every refusal costs
the same single password check.
"""
import datetime
import threading

from core import accounts
from core.auth import DEVICE_COOKIE
from core.db import utcnow
from core.models import LoginAttempt, User

from tests.support import PASSWORD


def sign_in(client, name, password, address="192.0.2.10"):
    return client.post("/login", data={"username": name, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_guesses_from_one_address_do_not_lock_out_the_real_user_elsewhere(app, make_user):
    """Twenty wrong passwords for somchai from an attacker's address: somchai at the market still signs in."""
    make_user("admin", "somchai")
    attacker, market = app.test_client(), app.test_client()
    answers = [sign_in(attacker, "somchai", "guess", "203.0.113.9").status_code for _ in range(20)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    assert sign_in(market, "somchai", PASSWORD, "192.0.2.10").status_code == 302


def test_made_up_names_from_one_router_do_not_lock_out_everyone_behind_it(app, make_user):
    """Twenty failures on made-up names from the market's router: a cashier behind it signs in."""
    make_user("cashier", "kaew")
    guesser, cashier = app.test_client(), app.test_client()
    for number in range(20):
        assert sign_in(guesser, f"name{number}", "x").status_code == 401
    assert sign_in(cashier, "kaew", PASSWORD).status_code == 302


def test_a_known_device_gets_through_a_guessing_attack_from_everywhere(app, make_user):
    """Guesses for somchai from twenty addresses brake every unknown device, but somchai's own tablet,
    which signed in before (signed cookie), signs in at once."""
    make_user("admin", "somchai")
    tablet = app.test_client()
    assert sign_in(tablet, "somchai", PASSWORD).status_code == 302
    assert tablet.get_cookie(DEVICE_COOKIE) is not None
    tablet.post("/logout")
    attacker = app.test_client()
    for number in range(accounts.FREE_FAILURES_PER_USERNAME):
        sign_in(attacker, "somchai", "guess", f"198.51.100.{number}")
    assert sign_in(app.test_client(), "somchai", PASSWORD, "192.0.2.77").status_code == 429, "an unknown device waits"
    assert sign_in(tablet, "somchai", PASSWORD).status_code == 302


def test_a_forged_or_foreign_device_cookie_is_not_known(app, make_user):
    """A made-up cookie, or one known only to another name, counts as an unknown device."""
    make_user("admin", "somchai")
    make_user("cashier", "kaew")
    tablet = app.test_client()
    assert sign_in(tablet, "kaew", PASSWORD).status_code == 302
    tablet.post("/logout")
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        sign_in(app.test_client(), "somchai", "guess")
    assert sign_in(tablet, "somchai", PASSWORD).status_code == 429, "the tablet is known to kaew, not to somchai"
    forged = app.test_client()
    forged.set_cookie(DEVICE_COOKIE, '{"id": "x", "users": ["somchai"]}')
    assert sign_in(forged, "somchai", PASSWORD).status_code == 429


def test_the_wait_grows_with_each_failure_after_the_free_ones(app, make_user):
    """After five free failures the wait is 1 minute, then 2, then 4, never more than 15."""
    make_user("admin", "somchai")
    client = app.test_client()
    waits = []
    for _ in range(accounts.FREE_FAILURES_PER_PAIR + 5):
        answer = sign_in(client, "somchai", "guess")
        if answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
            # Let the wait pass, as a patient guesser would (failures stay inside the 15-minute window).
            for failure in LoginAttempt.select():
                failure.at -= datetime.timedelta(seconds=waits[-1])
                failure.save()
            assert sign_in(client, "somchai", "guess").status_code == 401
    assert [round(wait / 10) * 10 for wait in waits[:3]] == [60, 120, 240]  # less a second or two of this run
    assert max(waits) <= accounts.LONGEST_WAIT.total_seconds()


def test_failures_older_than_the_window_are_forgotten(app, make_user):
    """Fifteen quiet minutes after the last failure, the count starts again."""
    make_user("admin", "somchai")
    client = app.test_client()
    for _ in range(8):
        sign_in(client, "somchai", "guess")
    LoginAttempt.update(at=utcnow() - datetime.timedelta(minutes=16)).execute()
    assert sign_in(client, "somchai", PASSWORD).status_code == 302


def test_sixteen_attempts_at_once_get_exactly_the_free_number_of_checks(app, make_user):
    """16 wrong passwords sent at the same moment: exactly five are checked (and recorded), eleven are braked."""
    make_user("admin", "somchai")
    checked = []
    original = accounts.check_password_hash
    start = threading.Barrier(16)
    answers = []

    def counting(password_hash, password):
        checked.append(password_hash)
        return original(password_hash, password)

    def attempt():
        client = app.test_client()
        start.wait()
        answers.append(sign_in(client, "somchai", "guess").status_code)

    accounts.check_password_hash = counting
    try:
        threads = [threading.Thread(target=attempt) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        accounts.check_password_hash = original
    assert sorted(answers) == [401] * 5 + [429] * 11
    assert LoginAttempt.select().count() == 5
    real = User.get(User.username == "somchai").password_hash
    assert checked.count(real) == 5


def test_every_refusal_costs_one_password_check(app, make_user, monkeypatch):
    """Unknown name, disabled account, wrong password and a braked try each run exactly one argon2
    check, so how long the answer takes says nothing about the account."""
    make_user("admin", "somchai")
    make_user("cashier", "gone", is_active="0")
    calls = []

    class Counting:
        """The app's password hasher, counting its checks."""

        def __init__(self, hasher):
            self.hasher = hasher

        def hash(self, password):
            return self.hasher.hash(password)

        def verify(self, password_hash, password):
            calls.append(password_hash)
            return self.hasher.verify(password_hash, password)

    monkeypatch.setattr(accounts, "password_hasher", Counting(accounts.password_hasher))
    client = app.test_client()
    for name, password, status in (("nobody", "x", 401), ("gone", PASSWORD, 401), ("somchai", "wrong", 401)):
        calls.clear()
        assert sign_in(client, name, password, "192.0.2.50").status_code == status, name
        assert len(calls) == 1, name
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        sign_in(client, "somchai", "wrong", "192.0.2.51")
    calls.clear()
    assert sign_in(client, "somchai", PASSWORD, "192.0.2.51").status_code == 429
    assert len(calls) == 1
