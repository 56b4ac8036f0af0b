"""The household spreadsheet: import (CSV or XLSX, Thai or English headers) and export, over HTTP
and through core.registry_io directly."""
import csv
import datetime
import io
import os

import pytest
from openpyxl import Workbook, load_workbook

from core import accounts, create_app, households, registry_io
from core.db import db
from core.demo import OCCUPATION_GROUPS
from core.models import AuditEntry, Household, OccupationGroup
from core.validation import ValidationError, national_id_is_valid

from tests.import_steps import commit, problems_on, start, token_of, upload
from tests.support import PASSWORD

THAI_HEADER = ["รหัสครัวเรือน", "หัวหน้าครัวเรือน", "หมู่ที่", "โทรศัพท์", "ผู้สูงอายุ",
               "กลุ่มอาชีพ", "สถานะผู้ปลูก", "วันที่ให้คำมั่น"]
VEGETABLES, WEAVERS, MUSHROOMS, BEES, SOLAR = (name_th for name_th, _en, _d in OCCUPATION_GROUPS)


def national_id(first_twelve):
    """Complete twelve digits with the check digit of a Thai national ID."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first_twelve))
    value = first_twelve + str((11 - total % 11) % 10)
    assert national_id_is_valid(value)
    return value


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def page_after(client, response):
    """Follow a redirect and return the page text (where the flashed message shows)."""
    assert response.status_code in (302, 303)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def snapshot():
    """Every household as comparable plain data, occupation groups by Thai name."""
    names = {g.id: g.name_th for g in OccupationGroup.select()}
    result = []
    for household in Household.select().order_by(Household.code):
        record = households.household_record(household, include_sensitive=True)
        del record["id"]
        record["occupation_groups"] = sorted(names[i] for i in record.pop("occupation_group_ids"))
        result.append(record)
    return result


@pytest.fixture
def groups(app):
    """The council's five occupation groups, as the demo names them (English names have commas)."""
    for name_th, name_en, description in OCCUPATION_GROUPS:
        households.save_occupation_group({"name_th": name_th, "name_en": name_en, "description": description}, None)
    return {g.name_th: g for g in OccupationGroup.select()}


@pytest.fixture
def fresh_app(app_config, tmp_path):
    """Make a second app on an empty database (a new SQLite file, or the wiped PostgreSQL one)."""

    def make():
        config = dict(app_config, INSTANCE_PATH=str(tmp_path / "fresh-instance"))
        if config["DATABASE_URL"].startswith("sqlite"):
            config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
        else:
            db.execute_sql("DROP SCHEMA public CASCADE")
            db.execute_sql("CREATE SCHEMA public")
            db.close()
        if not db.is_closed():
            db.close()
        return create_app(config)

    return make


# Import: files that are right ---------------------------------------------------------------


def test_thai_csv_previews_every_row_then_commits_them_all(client, auth, groups):
    """A CSV with Thai headers, ใช่, groups split by ';' and a พ.ศ. date previews, then imports."""
    admin = auth.login("admin")
    content = csv_bytes([
        THAI_HEADER,
        ["KH-01-001", "สมศรี ทองคำ", "1", "081-234-5678", "ใช่", f"{MUSHROOMS};{BEES}", "ผู้ปลูกอินทรีย์", "15/01/2567"],
        ["kh-03-002", "อับดุลเลาะ หมัดอาดั้ม", "3", "", "", VEGETABLES, "ผู้สมัคร", ""],
        ["KH-07-003", "มาลี ศรีสุข", "7", "", "", "", "", ""],
    ])
    preview = upload(client, content)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "พร้อมนำเข้า 3 ครัวเรือน" in page
    assert "<td>2</td><td>KH-01-001</td><td>สมศรี ทองคำ</td><td>1</td>" in page
    assert "<td>3</td><td>KH-03-002</td>" in page
    assert Household.select().count() == 0  # a preview writes nothing
    token = token_of(preview)
    kept = os.path.join(client.application.instance_path, "imports", token)
    assert os.path.exists(kept)
    assert os.stat(kept).st_mode & 0o777 == 0o600  # the server's user alone reads personal data

    done = commit(client, token)
    assert done.headers["Location"].endswith("/households")
    assert "นำเข้าแล้ว 3 ครัวเรือน" in page_after(client, done)
    assert not os.path.exists(os.path.join(client.application.instance_path, "imports", token))
    somsri = Household.get(Household.code == "KH-01-001")
    assert somsri.head_name == "สมศรี ทองคำ"
    assert somsri.phone == "081-234-5678"
    assert somsri.is_elderly is True and somsri.is_disabled is False
    assert somsri.grower_status == "active"
    assert somsri.pledge_date == datetime.date(2024, 1, 15)  # 15/01/2567 พ.ศ.
    assert sorted(m.group.name_th for m in somsri.occupations) == sorted([MUSHROOMS, BEES])
    abdullah = Household.get(Household.code == "KH-03-002")  # codes are kept upper-case
    assert abdullah.grower_status == "applicant" and abdullah.pledge_date is None
    assert [m.group.name_th for m in abdullah.occupations] == [VEGETABLES]
    assert Household.get(Household.code == "KH-07-003").grower_status == "none"
    created = AuditEntry.select().where(AuditEntry.entity == "household", AuditEntry.action == "create")
    assert sorted(e.user_id for e in created) == [admin.id] * 3


def test_english_headers_and_english_group_names_are_accepted(client, auth, groups):
    """English column names and English group names, even ones holding a comma, import the same."""
    auth.login("admin")
    nid = national_id("310050012345")
    content = csv_bytes([
        ["Household code", "Head of household", "Village", "Phone", "National ID", "Low income",
         "Disabled", "Occupation groups", "Grower status", "Pledge date", "Notes"],
        ["KH-02-010", "Somchai Kaewmanee", "2", "+66 81 234 5678", nid, "yes", "x",
         "Pandan, coconut and palmyra-leaf weavers; mushroom growers", "active", "2024-03-01", "ok"],
        ["KH-02-011", "Malee Srisuk", "2", "", "", "no", "",
         f"{MUSHROOMS}, {BEES}", "applicant", "1/3/2024", ""],
    ])
    preview = upload(client, content, "english.csv")
    assert preview.status_code == 200, problems_on(preview)
    commit(client, token_of(preview))
    somchai = Household.get(Household.code == "KH-02-010")
    assert (somchai.phone, somchai.national_id) == ("+66 81 234 5678", nid)
    assert somchai.is_low_income is True and somchai.is_disabled is True and somchai.is_elderly is False
    assert sorted(m.group.name_th for m in somchai.occupations) == sorted([WEAVERS, MUSHROOMS])
    assert somchai.pledge_date == datetime.date(2024, 3, 1)
    malee = Household.get(Household.code == "KH-02-011")
    assert malee.is_low_income is False
    assert sorted(m.group.name_th for m in malee.occupations) == sorted([MUSHROOMS, BEES])
    assert malee.pledge_date == datetime.date(2024, 3, 1)  # 1/3/2024 is day/month/year


def test_xlsx_with_numbers_dates_and_booleans_imports(client, auth, groups):
    """An XLSX made in the test, with number, date and true/false cells, previews and imports."""
    auth.login("admin")
    nid = national_id("110370001234")
    content = xlsx_bytes([
        ["รหัสครัวเรือน", "หัวหน้าครัวเรือน", "หมู่ที่", "เลขประจำตัวประชาชน", "ผู้พิการ",
         "กลุ่มอาชีพ", "สถานะผู้ปลูก", "วันที่ให้คำมั่น", "ที่อยู่"],
        ["KH-04-001", "ประเสริฐ แก้วมณี", 4, int(nid), True, SOLAR, "active", datetime.date(2024, 1, 15), "12/3 หมู่ที่ 4"],
        ["KH-05-002", "ละออ ชูแก้ว", 5.0, None, False, WEAVERS, "ผู้ปลูก", "01/02/2567", None],
        [None, None, None, None, None, None, None, None, None],
        ["KH-06-003", "ดำรง ขุนทอง", "6", None, None, None, None, datetime.datetime(2567, 6, 30), None],
    ])
    preview = upload(client, content, "registry.xlsx")
    assert preview.status_code == 200, problems_on(preview)
    assert "พร้อมนำเข้า 3 ครัวเรือน" in preview.get_data(as_text=True)
    assert "<td>5</td><td>KH-06-003</td>" in preview.get_data(as_text=True)  # the blank row 4 still counts
    commit(client, token_of(preview))
    prasert = Household.get(Household.code == "KH-04-001")
    assert prasert.village_no == 4 and prasert.national_id == nid and prasert.is_disabled is True
    assert prasert.pledge_date == datetime.date(2024, 1, 15)
    assert prasert.address == "12/3 หมู่ที่ 4"
    laor = Household.get(Household.code == "KH-05-002")
    assert laor.village_no == 5 and laor.is_disabled is False and laor.grower_status == "active"
    assert laor.pledge_date == datetime.date(2024, 2, 1)
    # A date cell typed with a พ.ศ. year in a spreadsheet is converted too.
    assert Household.get(Household.code == "KH-06-003").pledge_date == datetime.date(2024, 6, 30)


def test_thai_windows_cp874_csv_is_read(client, auth, groups):
    """A CSV saved by older Thai Excel (cp874 / TIS-620) imports with its Thai intact."""
    auth.login("admin")
    content = csv_bytes([THAI_HEADER, ["KH-01-009", "จันทร์เพ็ญ ด้วงทอง", "1", "", "ใช่", MUSHROOMS, "", ""]], "cp874")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    preview = upload(client, content, "thai-windows.csv")
    assert preview.status_code == 200, problems_on(preview)
    assert "จันทร์เพ็ญ ด้วงทอง" in preview.get_data(as_text=True)
    commit(client, token_of(preview))
    household = Household.get()
    assert household.head_name == "จันทร์เพ็ญ ด้วงทอง"
    assert [m.group.name_th for m in household.occupations] == [MUSHROOMS]


def test_semicolon_csv_and_excel_unicode_text_are_read(admin_user, groups):
    """Semicolon-separated CSV and Excel's tab-separated UTF-16 "Unicode text" both read right."""
    rows = [THAI_HEADER, ["KH-01-001", "สมศรี, ทองคำ", "1", "", "", f"{MUSHROOMS};{BEES}", "", ""]]
    for content, name in [
        (csv_bytes(rows, delimiter=";"), "semicolons.csv"),
        (csv_bytes(rows, "utf-16", delimiter="\t"), "unicode-text.txt"),
    ]:
        records, problems = registry_io.preview(name, content)
        assert problems == []
        line, data = records[0]
        assert (line, data["head_name"]) == (2, "สมศรี, ทองคำ")
        assert len(data["occupation_group_ids"]) == 2


def test_quoted_cells_far_down_a_csv_are_read_right(admin_user, groups):
    """Doubled quotes in a cell after the first few kilobytes are read as one quote, not split."""
    rows = [THAI_HEADER + ["หมายเหตุ"]]
    rows += [[f"KH-01-{n:03d}", f"ผู้ปลูก {n}", "1", "", "", f"{MUSHROOMS};{BEES}", "", "", ""] for n in range(1, 80)]
    rows.append(["KH-02-001", 'สมศรี "ป้าศรี" ทองคำ', "2", "", "", VEGETABLES, "", "", 'ว่า "ดี", ครบ'])
    content = csv_bytes(rows)
    assert len(content) > 8192
    count = registry_io.commit("long.csv", content, admin_user)
    assert count == 80
    household = Household.get(Household.code == "KH-02-001")
    assert household.head_name == 'สมศรี "ป้าศรี" ทองคำ'
    assert household.notes == 'ว่า "ดี", ครบ'


def test_empty_formatted_rows_below_an_xlsx_do_not_count(admin_user, groups):
    """Thousands of formatted but empty rows under the data neither hit the row limit nor import."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["รหัสครัวเรือน", "หัวหน้าครัวเรือน", "หมู่ที่"])
    sheet.append(["KH-01-001", "สมศรี ทองคำ", 1])
    for row in range(3, registry_io.MAX_ROWS + 500):
        sheet.cell(row=row, column=1).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    assert registry_io.commit("formatted.xlsx", out.getvalue(), admin_user) == 1


# Import: files with bad rows ----------------------------------------------------------------


def test_preview_lists_every_bad_row_with_its_line_and_imports_nothing(client, auth, groups, household_data):
    """Each bad row is listed with its spreadsheet line (header = 1) and column; nothing is written."""
    admin = auth.login("admin")
    households.create_household(household_data, admin)  # KH-01-001 is already registered
    audit_before = AuditEntry.select().count()
    content = csv_bytes([
        THAI_HEADER,
        ["KH-02-001", "สมชาย แก้วมณี", "2", "", "", "", "", ""],  # 2 fine
        ["KH-02-002", "", "2", "", "", "", "", ""],  # 3 no head of household
        ["KH-02-003", "มาลี ศรีสุข", "2", "", "", "", "", ""],  # 4 fine
        ["kh-02-003", "มาลี ซ้ำ", "2", "", "", "", "", ""],  # 5 same code as line 4
        ["KH-01-001", "สมศรี ทองคำ", "1", "", "", "", "", ""],  # 6 code already registered
        ["KH-02-004", "วิชัย บุญเรือง", "2", "", "", "กลุ่มทำขนม", "", ""],  # 7 unknown group
        ["KH-02-005", "ยุพิน นวลศรี", "99", "", "", "", "", ""],  # 8 village out of range
        ["KH-02-006", "ดำรง ขุนทอง", "2", "", "", "", "active", "31/02/2567"],  # 9 no such date
        ["", "", "", "", "", "", "", ""],  # 10 blank: skipped, still counted
        ["KH-02-007", "", "สาม", "", "", "", "", ""],  # 11 two problems
        ["KH-02-008", "เจริญ พรหมแก้ว", "2", "call me", "", "", "", ""],  # 12 bad phone
        ["KH-02-009", "สุดา หมาดหลี", "2", "", "", "", "", ""],  # 13 fine
    ])
    response = upload(client, content, "mixed.csv")
    problems = problems_on(response)
    assert sorted((line, column) for line, column, _ in problems) == [
        (3, "หัวหน้าครัวเรือน"),
        (5, "รหัสครัวเรือน"),
        (6, "รหัสครัวเรือน"),
        (7, "กลุ่มอาชีพ"),
        (8, "หมู่ที่"),
        (9, "วันที่ให้คำมั่น"),
        (11, "หมู่ที่"),
        (11, "หัวหน้าครัวเรือน"),
        (12, "โทรศัพท์"),
    ]
    messages = {(line, column): message for line, column, message in problems}
    assert messages[(3, "หัวหน้าครัวเรือน")] == "ต้องกรอกช่องนี้"
    assert messages[(5, "รหัสครัวเรือน")] == "รหัสครัวเรือน KH-02-003 ซ้ำกับแถวที่ 4 ให้แก้รหัสของแถวใดแถวหนึ่ง"
    assert messages[(6, "รหัสครัวเรือน")] == "รหัสครัวเรือน KH-01-001 ลงทะเบียนไว้แล้ว"
    assert messages[(7, "กลุ่มอาชีพ")].startswith('ไม่รู้จักกลุ่มอาชีพ "กลุ่มทำขนม" กลุ่มที่ใกล้เคียงที่สุด: ')
    assert "30" in messages[(8, "หมู่ที่")]
    assert "ไม่มีวันนี้ในปฏิทิน" in messages[(9, "วันที่ให้คำมั่น")]
    assert messages[(11, "หมู่ที่")] == "กรอกเป็นจำนวนเต็ม"
    page = response.get_data(as_text=True)
    assert "พบปัญหา 9 จุดในไฟล์ mixed.csv" in page
    assert "data-testid=\"import-commit\"" not in page
    assert Household.select().count() == 1
    assert AuditEntry.select().count() == audit_before


def test_preview_reports_bad_rows_of_an_xlsx_by_line(admin_user, groups):
    """Line numbers in an XLSX are its row numbers, the header being row 1."""
    content = xlsx_bytes([
        ["รหัสครัวเรือน", "หัวหน้าครัวเรือน", "หมู่ที่", "กลุ่มอาชีพ"],
        ["KH-01-001", "สมศรี", 1, MUSHROOMS],
        ["KH-01-002", "มาลี", 0, MUSHROOMS],
        ["KH-01-003", "วิชัย", 1, "Mushroom growers; Cake bakers"],
    ])
    records, problems = registry_io.preview("x.xlsx", content)
    assert [(line, field) for line, field, _ in problems] == [(3, "village_no"), (4, "occupation_groups")]
    assert '"Cake bakers"' in str(problems[1][2]) and '"Mushroom growers"' not in str(problems[1][2])
    assert [line for line, _ in records] == [2, 4]


def test_commit_writes_nothing_when_any_row_is_bad(admin_user, groups):
    """registry_io.commit raises ValidationError and writes no household, even if only the last row is bad."""
    audit_before = AuditEntry.select().count()
    rows = [THAI_HEADER] + [[f"KH-01-{n:03d}", f"ผู้ปลูก {n}", "1", "", "", MUSHROOMS, "", ""] for n in range(1, 6)]
    rows.append(["KH-01-006", "ผู้ปลูก 6", "1", "", "", MUSHROOMS, "active", ""])  # active without a pledge date
    with pytest.raises(ValidationError) as caught:
        registry_io.commit("last-bad.csv", csv_bytes(rows), admin_user)
    assert list(caught.value.errors) == ["line 7 pledge_date"]
    assert Household.select().count() == 0
    assert AuditEntry.select().count() == audit_before


def test_commit_keeps_every_problem_of_a_line(admin_user, groups):
    """Two problems on the same line are both reported, not one hiding the other."""
    content = csv_bytes([THAI_HEADER, ["KH-01-001", "", "x", "", "", "", "", ""]])
    with pytest.raises(ValidationError) as caught:
        registry_io.commit("two.csv", content, admin_user)
    assert sorted(caught.value.errors) == ["line 2 head_name", "line 2 village_no"]
    assert Household.select().count() == 0


def test_commit_of_a_good_file_imports_every_row_with_audit(admin_user, groups):
    """A good file imports all rows in one go and logs each household under the importing user."""
    rows = [THAI_HEADER] + [[f"KH-01-{n:03d}", f"ผู้ปลูก {n}", "1", "", "", "", "", ""] for n in range(1, 21)]
    assert registry_io.commit("good.csv", csv_bytes(rows), admin_user) == 20
    assert Household.select().count() == 20
    entries = AuditEntry.select().where(AuditEntry.entity == "household")
    assert entries.count() == 20 and {e.user_id for e in entries} == {admin_user.id}


# Import: files that cannot be read ----------------------------------------------------------


def _xlsx_with_empty_sheet():
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "filename, content, message_th",
    [
        ("registry.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "อัปโหลดไฟล์ .csv หรือ .xlsx"),
        ("registry", b"code,head_name,village_no\nKH-1,a,1\n", "อัปโหลดไฟล์ .csv หรือ .xlsx"),
        ("registry.xlsx", b"code,head_name,village_no\nKH-1,a,1\n", "อ่านไฟล์ XLSX นี้ไม่ได้"),
        ("registry.xlsx", b"PK\x03\x04 broken zip", "อ่านไฟล์ XLSX นี้ไม่ได้"),
        ("registry.xlsx", b"", "อ่านไฟล์ XLSX นี้ไม่ได้"),
        ("registry.xlsx", _xlsx_with_empty_sheet(), "ไฟล์ว่างเปล่า"),
        ("registry.csv", b"", "ไฟล์ว่างเปล่า"),
        ("registry.csv", b"\r\n\r\n", "ไฟล์ว่างเปล่า"),
        ("registry.csv", "รหัสครัวเรือน,หัวหน้าครัวเรือน,หมู่ที่\r\n".encode(), "ไฟล์มีแต่หัวตาราง"),
        ("registry.csv", "รหัสครัวเรือน,หัวหน้าครัวเรือน,หมู่ที่\r\n,,\r\n".encode(), "ไฟล์มีแต่หัวตาราง"),
        ("registry.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "ไฟล์นี้ไม่ใช่ไฟล์ CSV"),
        ("registry.csv", _xlsx_with_empty_sheet(), "ไฟล์นี้ไม่ใช่ไฟล์ CSV"),
        ("registry.csv", bytes(range(0x80, 0x100)) * 4, "ไม่ได้เข้ารหัสแบบ UTF-8"),
    ],
    ids=["pdf", "no-extension", "text-named-xlsx", "broken-zip", "empty-xlsx", "empty-sheet",
         "empty-csv", "blank-lines", "header-only", "header-and-blank-row", "png-named-csv", "xlsx-named-csv", "undecodable-bytes"],
)
def test_unreadable_file_gets_a_clear_400_and_imports_nothing(client, auth, filename, content, message_th):
    """A wrong, empty, header-only or binary file is refused with a plain Thai message, never a 500."""
    auth.login("admin")
    response = upload(client, content, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message_th in page
    assert "flash-error" in page
    assert Household.select().count() == 0
    folder = os.path.join(client.application.instance_path, "imports")
    assert not os.path.isdir(folder) or not os.listdir(folder)  # a refused file is not kept


@pytest.mark.parametrize("content", [
    "รหัสครัวเรือน,ชื่อ\r\nKH-01-001,สมศรี\r\n".encode(),
    "KH-01-001,สมศรี,1\r\nKH-01-002,มาลี,2\r\n".encode(),
], ids=["missing-column", "no-header"])
def test_a_required_field_without_a_column_is_named_and_blocks_the_preview(client, auth, content):
    """A sheet lacking a required column is kept for matching; the page names the field, the preview waits."""
    auth.login("admin")
    _response, token = start(client, content, "registry.csv")
    page = client.get(f"/households/import/{token}").get_data(as_text=True)
    assert "ยังไม่ได้เลือกคอลัมน์ของ: " in page and "หมู่ที่" in page
    refused = client.get(f"/households/import/{token}/preview")
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/households/import/{token}")
    assert Household.select().count() == 0


def test_upload_without_a_file_is_refused(client, auth):
    """Posting the form with no file chosen asks for one."""
    auth.login("admin")
    response = client.post("/households/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "เลือกไฟล์ที่จะอัปโหลด" in response.get_data(as_text=True)


def test_file_with_too_many_rows_is_refused(admin_user):
    """More households than MAX_ROWS in one file is refused before any row is checked."""
    rows = [["code", "head_name", "village_no"]]
    rows += [[f"KH-{n:05d}", "x", "1"] for n in range(registry_io.MAX_ROWS + 1)]
    with pytest.raises(registry_io.ImportFileError) as caught:
        registry_io.preview("big.csv", csv_bytes(rows))
    assert "5000" in str(caught.value.message)


def test_import_page_lists_the_accepted_columns(client, auth):
    """The upload page shows the Thai and English column names it accepts."""
    auth.login("admin")
    page = client.get("/households/import").get_data(as_text=True)
    assert "รหัสครัวเรือน" in page and "ชื่อ - นามสกุล" in page and "วันที่ให้คำมั่น" in page
    assert "head_name" not in page  # no raw field names on a Thai page
    client.set_cookie("lang", "en")
    page = client.get("/households/import").get_data(as_text=True)
    assert "head of household" in page and "village" in page


# Import: the commit step --------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["0123456789abcdef0123456789abcdef.csv", "secret_key", "0123456789abcdef0123456789abcdef.py"],
    ids=["unknown", "instance-file", "wrong-extension"],
)
def test_stale_or_forged_commit_token_redirects_with_a_message(client, auth, token):
    """A commit token that names no saved upload sends the user back to upload again; nothing is written."""
    auth.login("admin")
    response = commit(client, token)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/households/import")
    assert "ไม่พบไฟล์ที่อัปโหลดไว้แล้ว" in page_after(client, response)
    assert Household.select().count() == 0


def test_an_upload_is_deleted_after_a_day(client, auth, groups):
    """A file left half-way is deleted once it is a day old, and its link then asks for a new upload."""
    from core.models import HouseholdImport

    auth.login("admin")
    token = token_of(upload(client, csv_bytes([THAI_HEADER, ["KH-01-001", "สมศรี", "1", "", "", "", "", ""]])))
    kept = os.path.join(client.application.instance_path, "imports", token)
    HouseholdImport.update(uploaded_at=datetime.datetime(2020, 1, 1)).execute()
    start(client, csv_bytes([THAI_HEADER, ["KH-01-002", "มาลี", "1", "", "", "", "", ""]]), "other.csv")
    assert not os.path.exists(kept)
    assert client.get(f"/households/import/{token}").status_code == 303
    assert HouseholdImport.select().count() == 1


def test_discarding_an_upload_deletes_its_file(client, auth, groups):
    """Giving up an import deletes the kept file at once."""
    auth.login("admin")
    token = token_of(upload(client, csv_bytes([THAI_HEADER, ["KH-01-001", "สมศรี", "1", "", "", "", "", ""]])))
    assert token in client.get("/households/import").get_data(as_text=True)  # listed as not finished
    assert client.post(f"/households/import/{token}/discard").status_code == 303
    assert not os.path.exists(os.path.join(client.application.instance_path, "imports", token))
    assert Household.select().count() == 0


def test_commit_token_works_only_once(client, auth, groups):
    """Posting the same commit twice (a double click, a reload) imports the file once."""
    auth.login("admin")
    preview = upload(client, csv_bytes([THAI_HEADER, ["KH-01-001", "สมศรี", "1", "", "", "", "", ""]]))
    token = token_of(preview)
    assert commit(client, token).status_code == 302
    again = commit(client, token)
    assert again.status_code == 303
    assert Household.select().count() == 1


def test_commit_refuses_when_the_data_changed_since_the_preview(client, auth, admin_user, groups, household_data):
    """A code registered by someone else between preview and commit stops the whole import."""
    auth.login("admin")
    content = csv_bytes([
        THAI_HEADER,
        ["KH-01-005", "มาลี ศรีสุข", "1", "", "", "", "", ""],
        ["KH-01-001", "สมศรี ทองคำ", "1", "", "", "", "", ""],
    ])
    token = token_of(upload(client, content))
    households.create_household(household_data, admin_user)  # KH-01-001, meanwhile
    response = commit(client, token)
    assert response.status_code == 303
    assert "ข้อมูลเปลี่ยนไปหลังการตรวจ" in page_after(client, response)
    assert [h.code for h in Household.select()] == ["KH-01-001"]


@pytest.mark.parametrize("role", ["inspector", "cashier"])
def test_only_admin_may_import(client, auth, role):
    """Other roles get 403 for the upload, the preview and the commit, and nothing is written."""
    auth.login(role)
    content = csv_bytes([THAI_HEADER, ["KH-01-001", "สมศรี", "1", "", "", "", "", ""]])
    assert client.get("/households/import").status_code == 403
    assert upload(client, content).status_code == 403
    assert commit(client, "0" * 32 + ".csv").status_code == 403
    assert client.get(f"/households/import/{'0' * 32}").status_code == 403
    assert client.get(f"/households/import/{'0' * 32}/preview").status_code == 403
    assert Household.select().count() == 0


# Export -------------------------------------------------------------------------------------


@pytest.fixture
def registry(admin_user, groups):
    """Households with every kind of value an export must carry back: personal data, groups,
    dates, commas, quotes, new lines and text that looks like a spreadsheet formula."""
    rows = [
        {"code": "KH-01-001", "head_name": "สมศรี ทองคำ", "display_name": "สวนป้าศรี", "village_no": "1",
         "address": "12/3 หมู่ที่ 1, ต.คลองแห", "phone": "+66 81 234 5678", "national_id": national_id("110370001234"),
         "is_elderly": True, "is_low_income": True, "disadvantaged_other": "เลี้ยงหลานตามลำพัง",
         "grower_status": "active", "pledge_date": "2024-01-15", "notes": 'ปลูก "ผักบุ้ง", คะน้า\nบรรทัดสอง',
         "occupation_group_ids": [groups[MUSHROOMS].id, groups[WEAVERS].id]},
        {"code": "KH-03-002", "head_name": "อับดุลเลาะ หมัดอาดั้ม", "village_no": "3", "is_disabled": True,
         "grower_status": "withdrawn", "pledge_date": "2023-06-30", "notes": "=SUM(A1:A3)",
         "occupation_group_ids": [groups[VEGETABLES].id]},
        {"code": "KH-07-003", "head_name": "-มาลี ศรีสุข", "village_no": "7", "phone": "081-234-5678",
         "grower_status": "applicant", "notes": "@หมายเหตุ"},
        {"code": "KH-02-004", "head_name": "วิชัย บุญเรือง", "village_no": "2", "grower_status": "none",
         "occupation_group_ids": [g.id for g in groups.values()]},
    ]
    for data in rows:
        households.create_household(dict(data, sensitive_consent=True), admin_user)  # signed PDPA forms
    return snapshot()


def _reimport_into_fresh_database(fresh_app, body, filename):
    """Import an exported file into an empty database whose groups were made in another order."""
    fresh = fresh_app()
    assert Household.select().count() == 0
    for name_th, name_en, description in reversed(OCCUPATION_GROUPS):
        households.save_occupation_group({"name_th": name_th, "name_en": name_en, "description": description}, None)
    accounts.create_user({"username": "council2", "role": "admin", "password": PASSWORD})
    client = fresh.test_client()
    assert client.post("/login", data={"username": "council2", "password": PASSWORD}).status_code == 302
    preview = upload(client, body, filename)
    assert preview.status_code == 200, problems_on(preview)
    assert commit(client, token_of(preview)).status_code == 302


def test_csv_export_starts_with_a_bom_and_round_trips(client, auth, registry, fresh_app):
    """The CSV export has a UTF-8 BOM and Thai headers; imported into an empty database it gives
    back the same households, personal data, groups and pledge dates included."""
    auth.login("admin")
    response = client.get("/households/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="households-{datetime.date.today().isoformat()}.csv"')
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines()[0].startswith("รหัสครัวเรือน,หัวหน้าครัวเรือน,")
    _reimport_into_fresh_database(fresh_app, body, "export.csv")
    assert snapshot() == registry


def test_xlsx_export_round_trips_and_keeps_formula_like_text_as_text(client, auth, registry, fresh_app):
    """The XLSX export re-imports to the same households; text starting with '=' stays text."""
    auth.login("admin")
    response = client.get("/households/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "ครัวเรือน"
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert cells["=SUM(A1:A3)"] == "s"
    _reimport_into_fresh_database(fresh_app, response.data, "export.xlsx")
    assert snapshot() == registry


def test_export_of_an_empty_registry_has_only_the_header(client, auth):
    """With no households the export is just the header row, which imports as 'no households'."""
    auth.login("admin")
    body = client.get("/households/export.csv").data
    assert body.decode("utf-8-sig").strip() == ",".join(registry_io.COLUMNS[f][0] for f in registry_io.EXPORT_FIELDS)
    with pytest.raises(registry_io.ImportFileError):
        registry_io.preview("empty.csv", body)


@pytest.mark.parametrize("role", ["inspector", "cashier"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_admin_only(client, auth, registry, role, fmt):
    """Inspectors and cashiers get 403 for the export, which holds personal data."""
    auth.login(role)
    response = client.get(f"/households/export.{fmt}")
    assert response.status_code == 403
    assert "081-234-5678" not in response.get_data(as_text=True)


def test_export_needs_sign_in(client):
    """Without signing in, the export sends the browser to the sign-in page."""
    response = client.get("/households/export.csv")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_export_in_another_format_is_not_found(client, auth):
    """Only CSV and XLSX exports exist."""
    auth.login("admin")
    assert client.get("/households/export.pdf").status_code == 404


def test_csv_export_neutralises_formulas_and_imports_them_back_as_text(client, auth):
    """A note that starts with = is written with a leading apostrophe, and read back as it was."""
    from core import households as registry
    from core.models import Household as Registered

    auth.login("admin", "csv-admin")
    registry.create_household({"code": "KH-05-001", "head_name": "=HYPERLINK(\"http://evil\")", "village_no": "5",
                               "notes": "+1 ผักบุ้ง"}, None)
    exported = client.get("/households/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in exported and "'+1 ผักบุ้ง" in exported
    assert "\n=HYPERLINK" not in exported and ",=HYPERLINK" not in exported
    Registered.delete().execute()
    from core import registry_io
    header_index, rows = registry_io._read_csv(exported.encode("utf-8"))
    texts = [registry_io._cell_text(cell) for cell in rows[header_index + 1]]
    assert "=HYPERLINK(\"http://evil\")" in texts and "+1 ผักบุ้ง" in texts


def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_unpacking(client, auth):
    """A small upload that would unpack to gigabytes is refused with a clear message, nothing imported."""
    import zipfile as zip_module

    auth.login("admin", "bomb-admin")
    bomb = io.BytesIO()
    with zip_module.ZipFile(bomb, "w", zip_module.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    response = client.post("/households/import", data={"file": (io.BytesIO(bomb.getvalue()), "registry.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "50 MB" in response.get_data(as_text=True)


def test_an_upload_over_5_mb_is_a_413_with_a_message(client, auth):
    auth.login("admin", "big-admin")
    response = client.post("/households/import", data={"file": (io.BytesIO(b"a" * (50 * 1024 * 1024)), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)
