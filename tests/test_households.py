"""Registering and editing households, members and plots: the rules, the pages and the audit log."""
import json
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from core import households
from core.models import AuditEntry, Household, Member, OccupationGroup, Plot
from core.validation import ValidationError


def test_admin_registers_household_through_the_form(client, auth, household_data):
    """A posted form creates the household and an audit entry naming who did it."""
    admin = auth.login("admin")
    response = client.post("/households/new", data=household_data)
    assert response.status_code == 302
    household = Household.get(Household.code == "KH-01-001")
    assert household.head_name == "สมศรี ทองคำ"
    assert household.is_elderly is True
    assert household.grower_status == "active"
    entry = AuditEntry.get(AuditEntry.entity == "household", AuditEntry.entity_id == household.id)
    assert entry.user_id == admin.id
    assert entry.action == "create"
    assert json.loads(entry.changes)["head_name"] == [None, "สมศรี ทองคำ"]


@pytest.mark.parametrize(
    "field, value, message_th",
    [
        ("head_name", "", "ต้องกรอกช่องนี้"),
        ("head_name", "ก" * 300, "ไม่เกิน 120 ตัวอักษร"),
        ("village_no", "-3", "ต้องไม่น้อยกว่า 1"),
        ("village_no", "abc", "กรอกเป็นจำนวนเต็ม"),
        ("phone", "call me", "เบอร์โทรศัพท์"),
        ("national_id", "1234567890123", "13 หลัก"),
        ("pledge_date", "", "วันที่ให้คำมั่น"),
        ("pledge_date", "31/31/2024", "ไม่มีวันนี้ในปฏิทิน"),
        ("pledge_date", "2024-01-15garbage", "เขียนวันที่เป็น วัน/เดือน/ปี"),
        ("pledge_date", "1/1/2580", "วันที่ให้คำมั่นเป็นวันในอนาคต"),
        ("pledge_date", "1/1/2560", "ต้องไม่ก่อนวันเริ่มโครงการ (1 ต.ค. 2565)"),
        ("member_count", "0", "เป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป"),
        ("grower_status", "boss", "เลือกจากตัวเลือกที่มี"),
        ("code", "KH 01/001", "A-Z"),
    ],
)
def test_bad_household_input_is_refused_in_thai_and_writes_nothing(
    client, auth, household_data, field, value, message_th
):
    """Each bad field gives a 400 with a Thai message beside the field, and no row or audit entry."""
    auth.login("admin")
    audit_before = AuditEntry.select().count()
    response = client.post("/households/new", data=dict(household_data, **{field: value}))
    assert response.status_code == 400
    assert message_th in response.get_data(as_text=True)
    assert Household.select().count() == 0
    assert AuditEntry.select().count() == audit_before


def test_duplicate_household_code_is_refused(client, auth, household_data):
    """A second household with the same code (in any letter case) is refused with a clear message."""
    auth.login("admin")
    client.post("/households/new", data=household_data)
    response = client.post("/households/new", data=dict(household_data, code="kh-01-001"))
    assert response.status_code == 400
    assert "ถูกใช้แล้ว" in response.get_data(as_text=True)
    assert Household.select().count() == 1


def test_edit_logs_only_what_changed(client, auth, household_data):
    """Editing writes one audit entry with the old and new value of each changed field."""
    admin = auth.login("admin")
    client.post("/households/new", data=household_data)
    household = Household.get()
    response = client.post(
        f"/households/{household.id}/edit", data=dict(household_data, village_no="4")
    )
    assert response.status_code == 302
    entry = AuditEntry.select().where(AuditEntry.action == "update").get()
    assert entry.user_id == admin.id
    assert json.loads(entry.changes) == {"village_no": [1, 4]}
    history = client.get(f"/households/{household.id}/history").get_data(as_text=True)
    assert "หมู่บ้าน</strong>: 1 → 4" in history and "แก้ไข" in history and "village_no" not in history


def test_occupation_groups_are_set_and_replaced(admin_user, household_data):
    """A household's occupation groups follow the submitted list, and the change is logged."""
    weavers = OccupationGroup.create(name_th="กลุ่มจักสาน")
    mushrooms = OccupationGroup.create(name_th="กลุ่มเพาะเห็ด")
    household = households.create_household(
        dict(household_data, occupation_group_ids=[str(weavers.id)]), admin_user
    )
    households.update_household(household, dict(household_data, occupation_group_ids=[mushrooms.id]), admin_user)
    assert [m.group_id for m in household.occupations] == [mushrooms.id]
    entry = AuditEntry.select().where(AuditEntry.action == "update").get()
    assert json.loads(entry.changes)["occupation_group_ids"] == [[weavers.id], [mushrooms.id]]


@pytest.fixture
def household(client, auth, household_data):
    """A household registered through the form by a signed-in admin, who stays signed in."""
    auth.login("admin")
    client.post("/households/new", data=household_data)
    return Household.get()


def test_unknown_occupation_group_is_refused(admin_user, household_data):
    """An occupation group id that does not exist is an input error, not a database error."""
    with pytest.raises(ValidationError) as caught:
        households.create_household(dict(household_data, occupation_group_ids=["999"]), admin_user)
    assert "occupation_group_ids" in caught.value.errors
    assert Household.select().count() == 0


def test_plot_area_from_rai_ngan_wa_is_kept_in_square_metres(client, household):
    """2 ไร่ 1 งาน 50 ตร.ว. = 950 ตร.ว. = 3,800 m², shown back as the same three numbers."""
    response = client.post(
        f"/households/{household.id}/plots/new",
        data={"name": "แปลงริมคลอง", "rai": "2", "ngan": "1", "wa": "50", "main_crops": "คะน้า"},
    )
    assert response.status_code == 302
    plot = Plot.get()
    assert plot.area_m2 == Decimal("3800")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "2 ไร่ 1 งาน 50 ตร.ว." in page


@pytest.mark.parametrize(
    "area",
    [
        {"rai": "-1", "ngan": "0", "wa": "0"},
        {"rai": "0", "ngan": "5", "wa": "0"},
        {"rai": "0", "ngan": "0", "wa": "0"},
        {"rai": "x"},
        {},
    ],
)
def test_bad_plot_area_is_refused(client, household, area):
    """Negative, out-of-range, zero or missing areas give a 400 and no plot."""
    response = client.post(f"/households/{household.id}/plots/new", data={"name": "แปลง", **area})
    assert response.status_code == 400
    assert Plot.select().count() == 0


def test_members_are_added_and_removed_with_audit(client, household):
    """A member added with a Buddhist Era birth year is stored in CE; removal is logged."""
    response = client.post(
        f"/households/{household.id}/members",
        data={"full_name": "ด.ญ. มะลิ ทองคำ", "relationship": "หลาน", "birth_year": "2555"},
    )
    assert response.status_code == 302
    member = Member.get()
    assert member.birth_year == 2012
    bad = client.post(f"/households/{household.id}/members", data={"full_name": ""})
    assert bad.status_code == 400
    assert Member.select().count() == 1
    assert client.post(f"/members/{member.id}/delete").status_code == 302
    assert Member.select().count() == 0
    assert AuditEntry.select().where(AuditEntry.entity == "member").count() == 2


def test_household_list_query_count_does_not_grow_with_rows(client, auth, admin_user, household_data):
    """The list page makes the same number of queries for 3 households as for 30 (no N+1)."""
    auth.login("admin", "lister")

    def add(n):
        for _ in range(n):
            households.create_household(dict(household_data, code=f"KH-09-{Household.select().count() + 1:03d}"), admin_user)

    add(3)
    with count_queries() as few:
        assert client.get("/households").status_code == 200
    add(27)
    with count_queries() as many:
        assert client.get("/households").status_code == 200
    assert many.count == few.count


def test_search_by_name_village_and_status(admin_user, household_data):
    """Search matches part of a code or name and filters by village and grower status."""
    households.create_household(household_data, admin_user)
    households.create_household(
        dict(household_data, code="KH-02-001", head_name="อับดุลเลาะ หมัดอาดั้ม", village_no="2",
             grower_status="applicant"), admin_user)
    assert [h.code for h in households.search_households("อับดุล")] == ["KH-02-001"]
    assert [h.code for h in households.search_households(village_no=1)] == ["KH-01-001"]
    assert [h.code for h in households.search_households(grower_status="applicant")] == ["KH-02-001"]
    assert households.search_households("kh-0").count() == 2
