"""The council's own sample sheets (tests/samples, copied from ../shared/samples) import with exactly
the results their README states, through the wizard as the secretariat uses it: upload, matching (by hand where needed), preview, commit."""
import datetime
import os

import pytest

from core import households, registry_io
from core.demo import OCCUPATION_GROUPS
from core.models import AuditEntry, Household, HouseholdImport, OccupationGroup, OccupationSynonym

from tests.import_steps import columns_of, commit, preview, problems_on, start, submit_mapping
from tests.support import SAMPLES

VEGETABLES, WEAVERS, MUSHROOMS, BEES, SOLAR = (name_th for name_th, _en, _d in OCCUPATION_GROUPS)


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as handle:
        return handle.read()


@pytest.fixture
def groups(app):
    """The council's five occupation groups, named as the demo names them."""
    for name_th, name_en, description in OCCUPATION_GROUPS:
        households.save_occupation_group({"name_th": name_th, "name_en": name_en, "description": description}, None)
    return {g.name_th: g.id for g in OccupationGroup.select()}


def group_names(household):
    return sorted(m.group.name_th for m in household.occupations)


def test_register_2568_imports_25_households_with_the_date_column_matched_by_hand(client, auth, groups):
    """The council's register (title rows, header on line 4, Thai digits, category words, everyday
    group words) imports 25 households once the application-date column is matched by hand."""
    auth.login("admin")
    response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    assert response.status_code == 303 and token
    page = client.get(f"/households/import/{token}").get_data(as_text=True)
    assert 'value="4" data-testid="header-line"' in page  # found below the title and date lines
    assert columns_of(client, token) == {
        "ลำดับ": "", "รหัส": "code", "ชื่อ - นามสกุล": "head_name", "ม.": "village_no", "บ้านเลขที่": "address",
        "โทรศัพท์": "phone", "จำนวนคนในครัวเรือน": "member_count", "กลุ่มเปราะบาง": "disadvantaged",
        "อาชีพ/ภูมิปัญญา": "occupation_groups", "วันที่สมัคร": "", "หมายเหตุ": "notes",
    }
    unused = page[page.index('data-testid="import-unused"'):]
    assert "ลำดับ" in unused[:300] and "วันที่สมัคร" in unused[:300]  # never dropped unseen
    assert submit_mapping(client, token, columns={"วันที่สมัคร": "pledge_date"}).status_code == 303
    checked = preview(client, token)
    assert problems_on(checked) == []
    assert "พร้อมนำเข้า 25 ครัวเรือน" in checked.get_data(as_text=True)
    assert Household.select().count() == 0
    assert commit(client, token).status_code == 302
    assert Household.select().count() == 25
    assert {h.pledge_date.year for h in Household.select()} == {2025}
    everyone = {h.code: h for h in Household.select()}
    assert everyone["KLH-703"].pledge_date == datetime.date(2025, 8, 25)  # ๒๕/๐๘/๒๕๖๘
    assert everyone["KLH-704"].phone == "080-703-8843" and group_names(everyone["KLH-704"]) == [SOLAR]
    assert everyone["KLH-805"].village_no == 8 and everyone["KLH-805"].member_count == 8  # village '๘'
    assert group_names(everyone["KLH-310"]) == [VEGETABLES]  # ผักสวนครัว
    assert group_names(everyone["KLH-209"]) == sorted([VEGETABLES, MUSHROOMS])  # "ปลูกผัก, เพาะเห็ด"
    assert group_names(everyone["KLH-607"]) == [WEAVERS] and group_names(everyone["KLH-306"]) == [BEES]
    assert (everyone["KLH-209"].is_elderly, everyone["KLH-209"].is_low_income) == (True, True)
    assert (everyone["KLH-808"].is_disabled, everyone["KLH-808"].is_elderly) == (True, True)  # ผู้พิการ/ผู้สูงอายุ
    assert everyone["KLH-302"].disadvantaged_other == "ผู้ป่วยติดเตียง"  # the council's own category, kept
    assert everyone["KLH-601"].head_name == "นางสาวสมชาย แก้วมณี" and everyone["KLH-601"].address == "4/3"
    assert all(h.occupations.count() >= 1 for h in everyone.values())


def test_cp874_csv_with_cr_line_ends_imports_15_households(client, auth, groups):
    """The Windows-Thai CSV with old Mac line ends and short header words imports its 15 households as proposed."""
    auth.login("admin")
    _response, token = start(client, sample("households-cp874-mac.csv"), "households-cp874-mac.csv")
    assert columns_of(client, token) == {
        "รหัสครัวเรือน": "code", "หัวหน้าครัวเรือน": "head_name", "หมู่": "village_no", "เบอร์": "phone",
        "สมาชิก": "member_count", "ผู้ด้อยโอกาส": "disadvantaged", "อาชีพ": "occupation_groups",
    }
    assert submit_mapping(client, token).status_code == 303
    assert problems_on(preview(client, token)) == []
    assert commit(client, token).status_code == 302
    assert Household.select().count() == 15
    c02 = Household.get(Household.code == "KLH-C02")
    assert c02.head_name == "นายสุนีย์ สุวรรณโณ" and c02.member_count == 6
    assert (c02.is_elderly, c02.is_low_income) == (True, True) and group_names(c02) == [WEAVERS]
    assert group_names(Household.get(Household.code == "KLH-C09")) == sorted([VEGETABLES, MUSHROOMS])


def test_sheet_with_planted_faults_names_each_bad_row_and_writes_nothing(client, auth, groups):
    """The preview names rows 6, 10, 13, 17 and 20 with a Thai reason, suggests groups for the unknown
    one, offers no import, and a commit posted anyway writes nothing."""
    auth.login("admin")
    audit_before = AuditEntry.select().count()
    _response, token = start(client, sample("households-with-errors.xlsx"), "households-with-errors.xlsx")
    assert submit_mapping(client, token).status_code == 303
    checked = preview(client, token)
    problems = {line: (column, message) for line, column, message in problems_on(checked)}
    assert sorted(problems) == [6, 10, 13, 17, 20]
    assert problems[6] == ("จำนวนสมาชิก", "กรอกจำนวนคนที่อยู่ในครัวเรือน เป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป")
    assert problems[10] == ("รหัสครัวเรือน", "รหัสครัวเรือน KLH-E03 ซ้ำกับแถวที่ 4 ให้แก้รหัสของแถวใดแถวหนึ่ง")
    column, message = problems[13]
    assert column == "กลุ่มอาชีพ" and message.startswith('ไม่รู้จักกลุ่มอาชีพ "ทำขนมไทย" กลุ่มที่ใกล้เคียงที่สุด: กลุ่ม')
    assert problems[17] == ("เบอร์โทรศัพท์", "กรอกเบอร์โทรศัพท์เป็นตัวเลข เช่น 081-234-5678")
    assert problems[20][0] == "วันที่ให้คำมั่น" and "อนาคต" in problems[20][1]
    assert 'data-testid="import-commit"' not in checked.get_data(as_text=True)
    assert commit(client, token).status_code == 303
    assert Household.select().count() == 0
    assert AuditEntry.select().count() == audit_before


def test_a_group_chosen_for_a_word_is_kept_as_a_synonym_for_later_sheets(client, auth, groups):
    """Mapping "ทำขนมไทย" to a group once clears row 13, is kept (and logged), and is proposed in the next upload."""
    admin = auth.login("admin")
    sweets = households.save_occupation_group({"name_th": "กลุ่มแปรรูปอาหาร"}, admin)
    _response, token = start(client, sample("households-with-errors.xlsx"), "households-with-errors.xlsx")
    page = client.get(f"/households/import/{token}").get_data(as_text=True)
    assert "ยังไม่มีกลุ่มชื่อนี้" in page
    assert submit_mapping(client, token, words={"ทำขนมไทย": str(sweets.id)}).status_code == 303
    assert sorted(line for line, _c, _m in problems_on(preview(client, token))) == [6, 10, 17, 20]
    synonym = OccupationSynonym.get()
    assert (synonym.word, synonym.group_id) == ("ทำขนมไทย", sweets.id)
    assert AuditEntry.select().where(AuditEntry.entity == "occupation_synonym").count() == 1
    assert Household.select().count() == 0

    sheet = "รหัสครัวเรือน,หัวหน้าครัวเรือน,หมู่ที่,อาชีพ\r\nKLH-S01,นางขนม หวานดี,2,ทำขนม ไทย; เพาะเห็ด\r\n"
    _response, again = start(client, sheet.encode("cp874"), "sweets.csv")
    assert submit_mapping(client, again).status_code == 303
    assert problems_on(preview(client, again)) == []
    commit(client, again)
    assert group_names(Household.get(Household.code == "KLH-S01")) == sorted(["กลุ่มแปรรูปอาหาร", MUSHROOMS])

    page = client.get("/occupation-groups").get_data(as_text=True)
    assert "ทำขนมไทย" in page  # the secretariat sees the kept word beside its group
    assert client.post(f"/occupation-synonyms/{synonym.id}/delete").status_code == 302
    assert OccupationSynonym.select().count() == 0
    assert AuditEntry.select().where(AuditEntry.entity == "occupation_synonym", AuditEntry.action == "delete").count() == 1
    _response, third = start(client, sheet.replace("KLH-S01", "KLH-S02").encode("cp874"), "sweets.csv")
    submit_mapping(client, third)
    assert [line for line, _c, _m in problems_on(preview(client, third))] == [2]  # asked again


def test_a_column_matched_by_hand_or_left_unused_changes_what_is_imported(client, auth, groups):
    """Changing a proposal works both ways: notes left unused are not imported; the date column given a field is."""
    auth.login("admin")
    _response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    submit_mapping(client, token, columns={"หมายเหตุ": "", "วันที่สมัคร": "pledge_date"}, action="refresh")
    assert columns_of(client, token)["หมายเหตุ"] == "" and columns_of(client, token)["วันที่สมัคร"] == "pledge_date"
    assert submit_mapping(client, token).status_code == 303
    commit(client, token)
    assert Household.select().where(Household.notes != "").count() == 0
    assert Household.get(Household.code == "KLH-306").pledge_date == datetime.date(2025, 9, 2)


def test_one_field_from_two_columns_is_refused_with_a_reason(client, auth, groups):
    """Two columns matched to the same field are refused with a 400 that names the field; nothing changes."""
    auth.login("admin")
    _response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    response = submit_mapping(client, token, columns={"บ้านเลขที่": "phone"})
    assert response.status_code == 400
    assert "ข้อมูลแต่ละอย่างมาจากคอลัมน์เดียวเท่านั้น: โทรศัพท์" in response.get_data(as_text=True)
    assert columns_of(client, token)["บ้านเลขที่"] == "address"


def test_the_header_line_can_be_set_by_hand(client, auth, groups):
    """Setting the header line reads the column names from that line and proposes fields again."""
    auth.login("admin")
    _response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    submit_mapping(client, token, header_line=5, action="refresh")
    assert HouseholdImport.get().header_line == 5
    assert "KLH-601" in columns_of(client, token)
    submit_mapping(client, token, header_line=4, action="refresh")
    assert columns_of(client, token)["รหัส"] == "code"


def test_an_export_of_the_imported_register_imports_back_unchanged(client, auth, groups, admin_user):
    """The register, imported then exported, imports into an emptied registry as the same households."""
    auth.login("admin")
    _response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    submit_mapping(client, token, columns={"วันที่สมัคร": "pledge_date"})
    commit(client, token)
    before = [households.household_record(h, include_sensitive=True) for h in Household.select().order_by(Household.code)]
    exported = client.get("/households/export.xlsx").data
    Household.delete().execute()
    assert registry_io.commit("export.xlsx", exported, admin_user) == 25
    after = [households.household_record(h, include_sensitive=True) for h in Household.select().order_by(Household.code)]
    strip = lambda records: [{k: v for k, v in r.items() if k != "id"} for r in records]  # noqa: E731
    assert strip(after) == strip(before)


def test_on_a_fresh_install_the_refused_register_links_to_the_occupation_groups(client, auth):
    """With no occupation groups yet, every row of the register is refused; the refusal offers the page
    that adds them (a new tab, so the upload stays open); matched again, the groups are found."""
    auth.login("admin")
    _response, token = start(client, sample("register-2568.xlsx"), "register-2568.xlsx")
    assert submit_mapping(client, token).status_code == 303
    page = preview(client, token).get_data(as_text=True)
    assert 'data-testid="import-add-groups"' in page and 'href="/occupation-groups"' in page
    for name_th, name_en, description in OCCUPATION_GROUPS:
        households.save_occupation_group({"name_th": name_th, "name_en": name_en, "description": description}, None)
    assert submit_mapping(client, token).status_code == 303, "back to the matching: the new groups are offered"
    assert 'data-testid="import-add-groups"' not in preview(client, token).get_data(as_text=True)
