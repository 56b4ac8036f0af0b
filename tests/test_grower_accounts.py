"""Grower accounts: one household each, set up from a printed invitation card, a PIN only on the phone that set it."""
import datetime
import re

import pytest

from core import accounts, households, invitations
from core.models import ApiToken, AuditEntry, Invitation, User
from core.validation import ValidationError

from tests.support import PASSWORD, contains, database_rows, pdf_text, qr_texts

PIN = "480315"


@pytest.fixture
def household(app, admin_user, household_data):
    return households.create_household(household_data, admin_user)


@pytest.fixture
def grower(household, admin_user):
    return invitations.add_grower_account(household, {"name": "มาลี ทองคำ"}, admin_user)


def invitation_link(client, account):
    """Print the card as the secretariat does (POST), and read the link back from its QR code."""
    response = client.post(f"/accounts/{account.id}/invitation")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [link] = qr_texts(response.data)
    return link, response.data


def path_of(link):
    return re.sub(r"^https?://[^/]+", "", link)


def sign_in_as(client, user):
    with client.session_transaction() as session:
        session["user_id"] = user.id


# Making accounts ----------------------------------------------------------------------------


def test_a_grower_account_needs_a_household_and_staff_have_none(app, admin_user, household):
    """A grower without a household, or a cashier with one, is refused and nothing is written."""
    before = database_rows()
    with pytest.raises(ValidationError) as refused:
        accounts.create_user({"username": "mali", "role": "grower"}, admin_user)
    assert "household" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        accounts.create_user({"username": "kaew", "role": "cashier", "password": PASSWORD}, admin_user,
                             household=household)
    assert "role" in refused.value.errors
    assert database_rows() == before


def test_household_accounts_get_the_next_free_username(grower, household, admin_user):
    """A household may have several accounts; each gets the household code and a number."""
    second = invitations.add_grower_account(household, {"name": "สมปอง ทองคำ"}, admin_user)
    assert (grower.username, second.username) == ("kh-01-001-1", "kh-01-001-2")
    assert grower.household_id == second.household_id == household.id
    assert [row[0].id for row in invitations.household_accounts(household)] == [grower.id, second.id]
    assert invitations.account_state(grower) == ("waiting", None)


def test_a_grower_cannot_become_staff(grower, admin_user):
    """Changing a grower account's role to a staff role (or back) is refused."""
    with pytest.raises(ValidationError):
        accounts.update_user(grower, {"role": "admin"}, admin_user)
    assert User.get_by_id(grower.id).role == "grower"


def test_create_user_command_makes_a_grower_of_a_household(app, household):
    """`create-user NAME --role grower --household CODE` links the account; an unknown code is refused."""
    from click.testing import CliRunner

    from core.cli import cli

    runner = CliRunner()
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"]}
    result = runner.invoke(cli, ["create-user", "mali", "--role", "grower", "--household", household.code], env=env)
    assert result.exit_code == 0, result.output
    assert "invitation card" in result.output
    assert User.get(User.username == "mali").household_id == household.id
    result = runner.invoke(cli, ["create-user", "nok", "--role", "grower", "--household", "KH-99-999"], env=env)
    assert result.exit_code != 0 and "no household" in result.output
    result = runner.invoke(cli, ["create-user", "nok", "--role", "grower"], env=env)
    assert result.exit_code != 0
    assert not User.select().where(User.username == "nok").exists()


# The invitation card and its link ---------------------------------------------------------------


def test_invitation_card_shows_the_member_and_a_working_link(client, app, admin_user, grower):
    """The printed card names the member and household, and its QR opens the phone set-up page."""
    sign_in_as(client, admin_user)
    link, pdf = invitation_link(client, grower)
    assert link.startswith(app.config["GREENMARKET_BASE_URL"] + "/invite/")
    text = pdf_text(pdf)
    assert contains(text, "มาลี ทองคำ") and "KH-01-001" in text and "kh-01-001-1" in text
    stored = Invitation.get(Invitation.user == grower)
    token = link.rsplit("/", 1)[1]
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert datetime.timedelta(days=6, hours=23) < stored.expires_at - stored.created_at <= datetime.timedelta(days=7)
    phone = app.test_client()
    page = phone.get(path_of(link))
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    body = page.get_data(as_text=True)
    assert "kh-01-001-1" in body and "<script" not in body


def test_setting_a_pin_signs_in_and_remembers_the_phone(app, admin_user, grower):
    """A PIN set from the link signs the phone in (Today, the grower pages); after signing out, the PIN works on that phone only."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    phone = app.test_client()
    response = phone.post(f"/invite/{token}", data={"kind": "pin", "secret": PIN, "secret_again": PIN})
    assert response.status_code == 302
    assert "known_device" in response.headers.get("Set-Cookie", "")
    landing = phone.get("/", follow_redirects=True)
    assert landing.request.path == "/me"  # the grower pages are registered: Today
    assert "KH-01-001" in landing.get_data(as_text=True)
    assert User.get_by_id(grower.id).uses_pin
    assert invitations.account_state(User.get_by_id(grower.id))[0] == "pin"
    phone.post("/logout")
    assert phone.post("/login", data={"username": grower.username, "password": PIN}).status_code == 302
    other_phone = app.test_client()
    refused = other_phone.post("/login", data={"username": grower.username, "password": PIN})
    assert refused.status_code == 401
    assert "ใช้ได้เฉพาะในโทรศัพท์ที่ตั้งค่าบัญชี" in refused.get_data(as_text=True)
    assert other_phone.get("/").status_code == 302


def test_a_password_works_from_any_device(app, admin_user, grower):
    """A member who chose a password signs in from any browser, like staff."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    invitations.set_up_account(token, {"kind": "password", "secret": PASSWORD, "secret_again": PASSWORD})
    assert app.test_client().post("/login", data={"username": grower.username, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("secret, again, field", [
    ("12345", "12345", "secret"), ("123456", "123456", "secret"), ("777777", "777777", "secret"),
    ("98a765", "98a765", "secret"), (PIN, "480316", "secret_again"),
])
def test_a_weak_or_mistyped_pin_is_refused_and_the_link_still_works(app, admin_user, grower, secret, again, field):
    """Short, counted or repeated digits, letters, or a second entry that differs: 400 in Thai, link unused."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    phone = app.test_client()
    before = database_rows()
    response = phone.post(f"/invite/{token}", data={"kind": "pin", "secret": secret, "secret_again": again})
    assert response.status_code == 400
    assert 'aria-invalid="true" aria-describedby="e-pin-' + field in response.get_data(as_text=True)
    assert database_rows() == before
    assert phone.get(f"/invite/{token}").status_code == 200


def test_a_link_is_used_once(app, admin_user, grower):
    """The second use of a link is refused with what to do, and the first choice stays."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    invitations.set_up_account(token, {"kind": "pin", "secret": PIN, "secret_again": PIN})
    with pytest.raises(invitations.InvitationRefused) as refused:
        invitations.set_up_account(token, {"kind": "pin", "secret": "903172", "secret_again": "903172"})
    assert refused.value.reason == "used"
    page = app.test_client().get(f"/invite/{token}")
    assert page.status_code == 410
    assert "ขอบัตรเชิญใบใหม่" in page.get_data(as_text=True)


def test_a_new_card_voids_the_old_one(app, admin_user, grower):
    """Printing again (a lost card) makes the first link useless."""
    _first, old = invitations.issue_invitation(grower, admin_user)
    _second, new = invitations.issue_invitation(grower, admin_user)
    client = app.test_client()
    assert client.get(f"/invite/{old}").status_code == 410
    assert client.get(f"/invite/{new}").status_code == 200
    assert Invitation.select().where(Invitation.voided_at.is_null()).count() == 1


def test_an_expired_or_unknown_link_is_refused(app, admin_user, grower):
    """After seven days the link says it expired; a made-up link is a 404; neither shows the account."""
    invitation, token = invitations.issue_invitation(grower, admin_user)
    Invitation.update(expires_at=invitation.created_at - datetime.timedelta(seconds=1)).execute()
    client = app.test_client()
    expired = client.get(f"/invite/{token}")
    assert expired.status_code == 410 and "หมดอายุ" in expired.get_data(as_text=True)
    assert grower.username not in expired.get_data(as_text=True)
    before = database_rows()
    assert client.post(f"/invite/{token}", data={"kind": "pin", "secret": PIN, "secret_again": PIN}).status_code == 410
    assert client.get("/invite/not-a-real-token").status_code == 404
    assert database_rows() == before


def test_a_disabled_account_stops_everywhere(app, admin_user, grower):
    """Disabling ends the open session, the API token and the open card, and the PIN is refused on its phone."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    phone = app.test_client()
    phone.post(f"/invite/{token}", data={"kind": "pin", "secret": PIN, "secret_again": PIN})
    api_token = accounts.create_token(User.get_by_id(grower.id))
    _second, second = invitations.issue_invitation(grower, admin_user)
    sign_in_as(app.test_client(), admin_user)
    invitations.disable_grower_account(User.get_by_id(grower.id), admin_user)
    assert phone.get("/account-ready").status_code == 302
    assert phone.post("/login", data={"username": grower.username, "password": PIN}).status_code == 401
    assert not ApiToken.select().where(ApiToken.user == grower.id).exists()
    assert accounts.user_for_token(api_token) is None
    assert phone.get(f"/invite/{second}").status_code == 403
    assert AuditEntry.select().where((AuditEntry.entity == "user") & (AuditEntry.entity_id == grower.id)
                                     & (AuditEntry.action == "update")).count() == 2


def test_household_page_lists_adds_disables_and_prints(client, app, admin_user, household, grower):
    """From the household page the secretariat makes an account, prints its card and disables it."""
    sign_in_as(client, admin_user)
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "kh-01-001-1" in page and "data-testid=\"grower-accounts\"" in page
    response = client.post(f"/households/{household.id}/accounts", data={"name": "สมปอง ทองคำ"})
    assert response.status_code == 302
    second = User.get(User.username == "kh-01-001-2")
    assert client.post(f"/households/{household.id}/accounts", data={"name": ""}).status_code == 400
    invitation_link(client, second)
    assert "kh-01-001-2" in client.get(f"/households/{household.id}").get_data(as_text=True)
    assert client.post(f"/accounts/{second.id}/disable").status_code == 302
    assert not User.get_by_id(second.id).is_active
    refused = client.post(f"/accounts/{second.id}/invitation")
    assert refused.status_code == 303 and not Invitation.select().where(
        (Invitation.user == second) & Invitation.voided_at.is_null()).exists()
    assert client.post(f"/accounts/{admin_user.id}/invitation").status_code == 404


def test_household_label_printing_flag(client, admin_user, household):
    """The secretariat allows a household to print its labels at home, and can stop it (audited)."""
    sign_in_as(client, admin_user)
    assert client.post(f"/households/{household.id}/grower-labels", data={"allowed": "1"}).status_code == 302
    assert type(household).get_by_id(household.id).grower_prints_labels
    assert client.post(f"/households/{household.id}/grower-labels", data={"allowed": "0"}).status_code == 302
    assert not type(household).get_by_id(household.id).grower_prints_labels
    assert AuditEntry.select().where(AuditEntry.changes.contains("grower_prints_labels")).count() == 2


def test_a_new_card_signs_the_lost_phone_out(app, admin_user, grower):
    """Printing a new card for a set-up account ends the lost phone's session and PIN at once; the new card sets it up again."""
    _invitation, token = invitations.issue_invitation(grower, admin_user)
    lost = app.test_client()
    lost.post(f"/invite/{token}", data={"kind": "pin", "secret": PIN, "secret_again": PIN})
    assert lost.get("/account-ready").status_code == 200
    _invitation, new = invitations.issue_invitation(User.get_by_id(grower.id), admin_user)
    assert lost.get("/account-ready").status_code == 302
    assert lost.post("/login", data={"username": grower.username, "password": PIN}).status_code == 401
    found = app.test_client()
    found.post(f"/invite/{new}", data={"kind": "password", "secret": PASSWORD, "secret_again": PASSWORD})
    assert found.get("/account-ready").status_code == 200
    assert lost.get("/account-ready").status_code == 302


def test_changing_ones_own_password_keeps_this_session(client, make_user):
    """An admin who changes their own password stays signed in here; another session of theirs ends."""
    make_user("admin", "council")
    other = client.application.test_client()
    for browser in (client, other):
        assert browser.post("/login", data={"username": "council", "password": PASSWORD}).status_code == 302
    council = User.get(User.username == "council")
    response = client.post(f"/users/{council.id}/edit", data={"full_name": "", "role": "admin", "is_active": "1",
                                                              "password": "new-correct-horse-battery-staple"})
    assert response.status_code == 302
    assert client.get("/users").status_code == 200
    assert other.get("/users").status_code == 302
