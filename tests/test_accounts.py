"""Staff accounts: argon2id passwords, sign-in and out, the guessing brake, API tokens."""
import pytest

from core import accounts, create_app
from core.models import ApiToken, AuditEntry, LoginAttempt, User
from core.validation import ValidationError

from tests.support import PASSWORD


def test_passwords_are_stored_as_argon2id_at_production_cost(app_config):
    """Only an argon2id hash is kept, never the password, at argon2's recommended cost (64 MiB, 3 passes)
    unless a setting lowers it, as the other tests do."""
    production = {key: value for key, value in app_config.items() if key != "PASSWORD_HASH_PARAMETERS"}
    create_app(production)
    user = accounts.create_user({"username": "kaew", "role": "cashier", "password": PASSWORD})
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in user.password_hash
    assert accounts.check_password(user, PASSWORD)
    assert not accounts.check_password(user, PASSWORD + "x")


def test_sign_in_and_out(client, make_user):
    """The right password signs in and lands on the start page; signing out needs a POST."""
    make_user("inspector", "ploy")
    response = client.post("/login", data={"username": "ploy", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_in_thai(client, make_user):
    """A wrong password gives a 401 page saying so in Thai, and the attempt is recorded."""
    make_user("admin", "somchai")
    response = client.post("/login", data={"username": "somchai", "password": "nope"})
    assert response.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)
    assert LoginAttempt.select().where(LoginAttempt.succeeded == False).count() == 1  # noqa: E712


def test_sign_in_brake_after_repeated_failures(client, make_user):
    """After five wrong passwords for one name from one device, even the right one waits (429)."""
    make_user("admin", "somchai")
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        client.post("/login", data={"username": "somchai", "password": "guess"})
    response = client.post("/login", data={"username": "somchai", "password": PASSWORD})
    assert response.status_code == 429
    assert "รอ 1 นาที" in response.get_data(as_text=True)


def test_new_account_rules(admin_user):
    """Usernames are unique and simple; passwords have at least 8 characters; roles are known."""
    with pytest.raises(ValidationError) as caught:
        accounts.create_user({"username": "council", "role": "admin", "password": PASSWORD})
    assert "username" in caught.value.errors
    for data, field in [
        ({"username": "a b", "role": "admin", "password": PASSWORD}, "username"),
        ({"username": "short", "role": "admin", "password": "1234567"}, "password"),
        ({"username": "boss", "role": "owner", "password": PASSWORD}, "role"),
    ]:
        with pytest.raises(ValidationError) as caught:
            accounts.create_user(data, admin_user)
        assert field in caught.value.errors
    assert User.select().count() == 1


@pytest.mark.parametrize("password", ["password", "12345678", "11111111", "qwerty123", "iloveyou", "greenmarket1",
                                      "khlonghae2569", "ตลาดเขียว", "somsak2024", "Somsak Jaidee"])
def test_passwords_easy_to_guess_are_refused(admin_user, password):
    """A common password, a repeat, a word of the market or the account's own name is refused, in Thai."""
    with pytest.raises(ValidationError) as caught:
        accounts.create_user({"username": "somsak", "full_name": "Somsak Jaidee", "role": "cashier",
                              "password": password}, admin_user)
    assert "password" in caught.value.errors
    assert User.select().where(User.username == "somsak").count() == 0


def test_a_changed_password_may_not_lean_on_the_accounts_name(admin_user, make_user):
    """Changing the password checks it against the account's own username too."""
    kaew = make_user("cashier", "kaewta")
    with pytest.raises(ValidationError) as caught:
        accounts.update_user(kaew, {"password": "kaewta2569"}, admin_user)
    assert "password" in caught.value.errors
    accounts.update_user(kaew, {"password": "mango#77 rice"}, admin_user)
    assert accounts.check_password(User.get_by_id(kaew.id), "mango#77 rice")


def test_admin_manages_staff_accounts_through_the_pages(client, auth):
    """An admin creates a cashier, disables the account, and both steps are in the audit log."""
    auth.login("admin")
    response = client.post(
        "/users/new",
        data={"username": "kaew", "full_name": "แก้ว", "role": "cashier", "password": PASSWORD},
    )
    assert response.status_code == 302
    kaew = User.get(User.username == "kaew")
    assert kaew.is_active and kaew.role == "cashier"
    response = client.post(f"/users/{kaew.id}/edit", data={"full_name": "แก้ว", "role": "cashier"})
    assert response.status_code == 302
    assert User.get_by_id(kaew.id).is_active is False
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.entity == "user", AuditEntry.entity_id == kaew.id)]
    assert sorted(actions) == ["create", "update"]


def test_api_tokens_are_stored_hashed_and_tied_to_active_users(make_user):
    """A token works for its user; only its SHA-256 is stored; a disabled user's token stops."""
    user = make_user("cashier")
    token = accounts.create_token(user)
    assert accounts.user_for_token(token).id == user.id
    assert not ApiToken.select().where(ApiToken.token_hash == token).exists()
    assert accounts.user_for_token(token + "x") is None
    User.update(is_active=False).where(User.id == user.id).execute()
    assert accounts.user_for_token(token) is None


def test_the_account_page_says_in_thai_why_a_password_is_weak(client, auth):
    """The secretariat sees why the password was refused, in Thai, and no account is made."""
    auth.login("admin")
    response = client.post("/users/new", data={"username": "somsak", "role": "cashier", "password": "password1"})
    assert response.status_code == 400
    assert "รหัสผ่านนี้เดาง่ายเกินไป" in response.get_data(as_text=True)
    assert User.select().where(User.username == "somsak").count() == 0
