"""The shared shapes of staff pages: the home page's greeting, forms refused and saved the same way."""
from core import audit
from core.models import AuditEntry, Product


def test_greeting_uses_the_full_name_or_the_role_never_the_username(client, auth, make_user):
    """An account without a full name is greeted by its role ("council" is a username, not a name)."""
    auth.login("admin", "council")
    html = client.get("/").get_data(as_text=True)
    assert "คุณcouncil" not in html and "council" not in html.split("<h1>")[1].split("</h1>")[0]
    assert "สวัสดี เลขานุการสภาฯ (ผู้ดูแลระบบ)" in html
    auth.logout()
    make_user("inspector", "somsri", full_name="สมศรี ตรวจดี")
    client.post("/login", data={"username": "somsri", "password": "correct-horse-battery"})
    assert "สวัสดี คุณสมศรี ตรวจดี" in client.get("/").get_data(as_text=True)


def test_a_refused_form_is_shown_again_with_what_was_typed_and_a_saved_one_redirects(client, auth):
    """The one form helper: a refusal answers 400 with the typed value kept; a save flashes and redirects."""
    auth.login("admin")
    refused = client.post("/products/new", data={"name_th": "ผักบุ้งอินทรีย์", "unit": "no-such-unit", "category": "vegetable"})
    assert refused.status_code == 400
    assert 'value="ผักบุ้งอินทรีย์"' in refused.get_data(as_text=True)
    assert Product.select().count() == 0
    saved = client.post("/products/new", data={"name_th": "ผักบุ้งอินทรีย์", "unit": "kg", "category": "vegetable"},
                        follow_redirects=True)
    assert saved.status_code == 200 and saved.request.path == "/products"
    assert "บันทึกสินค้าแล้ว" in saved.get_data(as_text=True) and Product.select().count() == 1


def test_save_with_audit_writes_one_entry_only_when_something_changed(app, make_user):
    """save_with_audit sets, saves and logs a change; an unchanged save writes nothing."""
    with app.app_context():
        admin = make_user("admin")
        product = Product.create(name_th="เห็ดนางฟ้า", unit="kg", category="mushroom")
        product_entries = AuditEntry.select().where(AuditEntry.entity == "product")
        assert audit.save_with_audit(admin, product, "product", {"name_th": "เห็ดนางฟ้า"}) == {}
        assert product_entries.count() == 0
        changes = audit.save_with_audit(admin, product, "product", {"name_th": "เห็ดนางรม"})
        assert changes == {"name_th": ("เห็ดนางฟ้า", "เห็ดนางรม")}
        assert Product.get_by_id(product.id).name_th == "เห็ดนางรม"
        entry = product_entries.get()
        assert (entry.action, entry.entity, entry.entity_id) == ("update", "product", product.id)


def test_a_household_without_a_display_name_is_listed_by_its_code_once(app, client, auth, certified_household):
    """A household that chose no display name reads "KH-01-001" on staff pages and files, not "KH-01-001 · KH-01-001"."""
    from core.models import Household
    from traceability import batches

    setup = certified_household
    Household.update(display_name="").where(Household.id == setup["household"].id).execute()
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": setup["certificate"].issued_on.isoformat(), "quantity": "5"},
                                 setup["committee"])
    auth.login("admin")
    for page in ("/batches", f"/batches/{batch.code}", "/certificates", f"/certificates/{setup['certificate'].number}",
                 f"/households/{setup['household'].id}/farm", f"/inspections/{setup['inspection'].id}"):
        html = client.get(page).get_data(as_text=True)
        assert "KH-01-001" in html, page
        assert "KH-01-001 · KH-01-001" not in html, page
    assert Household.get_by_id(setup["household"].id).staff_name == "KH-01-001"
    assert setup["household"].staff_name == "KH-01-001 · สวนป้าศรี"
