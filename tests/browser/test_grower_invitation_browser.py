"""The secretariat prints a grower's invitation card; the grower sets up a PIN on their phone from its QR code."""
import os
import re

from core import households

from tests.support import qr_texts

PHONE = {"width": 390, "height": 844}
PIN = "480315"
SHOTS = os.environ.get("GM_SCREENSHOTS", "")  # a folder to keep the pictures in, for a look


def shot(page, name):
    if SHOTS and os.path.isdir(SHOTS):
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_invitation_card_sets_up_a_pin_that_works_only_on_that_phone(live_server, new_page):
    """Print the card (household page), decode its QR, set a PIN at phone size, land signed in;
    the same PIN from a fresh browser (an unknown device) is refused with what to do."""
    council = live_server.make_user("admin", "council")
    household = live_server.seed(households.create_household, {
        "code": "KH-03-007", "head_name": "สมศรี ทองคำ", "display_name": "สวนป้าศรี", "village_no": "3",
        "grower_status": "active", "pledge_date": "2025-01-15"}, council)

    desk = new_page(viewport={"width": 1024, "height": 600})
    live_server.sign_in(desk, "council")
    desk.goto(f"{live_server.url}/households/{household.id}")
    accounts_card = desk.locator("[data-testid=grower-accounts]")
    accounts_card.locator("input[name=name]").fill("มาลี ทองคำ")
    with desk.expect_navigation():
        accounts_card.locator("[data-testid=add-account]").click()
    row = desk.locator("[data-testid=account-kh-03-007-1]")
    assert "รอบัตรเชิญ" in row.inner_text()
    print_form = row.locator("form").first
    card = desk.context.request.post(live_server.url + print_form.get_attribute("action"), form={
        "csrf_token": print_form.locator("input[name=csrf_token]").input_value()})
    assert card.status == 200 and card.headers["content-type"] == "application/pdf"
    [link] = qr_texts(card.body())
    assert re.fullmatch(r"https?://[^/]+/invite/[A-Za-z0-9_-]+", link), link
    if SHOTS and os.path.isdir(SHOTS):
        with open(os.path.join(SHOTS, "invitation-card.pdf"), "wb") as saved:
            saved.write(card.body())
    desk.reload()
    assert "พิมพ์บัตรเชิญแล้ว" in desk.locator("[data-testid=account-kh-03-007-1]").inner_text()
    shot(desk, "household-accounts")

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    assert "kh-03-007-1" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "invitation-setup")
    setup = phone.locator("[data-testid=setup-pin]")
    setup.locator("input[name=secret]").fill(PIN)
    setup.locator("input[name=secret_again]").fill(PIN)
    with phone.expect_navigation():
        setup.locator("button[type=submit]").click()
    assert phone.url.endswith("/me"), phone.url  # the grower pages are registered: Today
    assert "KH-03-007" in phone.inner_text("main")
    shot(phone, "grower-today")

    elsewhere = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    elsewhere.goto(f"{live_server.url}/login")
    elsewhere.fill("#f-username", "kh-03-007-1")
    elsewhere.fill("#f-password", PIN)
    with elsewhere.expect_navigation():
        elsewhere.click("main form button[type=submit]")
    assert "/login" in elsewhere.url
    assert "ใช้ได้เฉพาะในโทรศัพท์ที่ตั้งค่าบัญชี" in elsewhere.inner_text("main")
    shot(elsewhere, "pin-unknown-device")

    phone.goto(f"{live_server.url}/invite/{link.rsplit('/', 1)[1]}")
    assert "ใช้ตั้งค่าบัญชีไปแล้ว" in phone.inner_text("main")
