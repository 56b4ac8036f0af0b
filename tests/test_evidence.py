"""Evidence: photos and documents of inspections and farm records, checked by content, stripped of
location unless kept, stored by hash outside the database, printed in the report, backed up, never public."""
import datetime
import io
import os

import pypdfium2
import pytest
from click.testing import CliRunner
from PIL import Image

from certificates import evidence, inspections, records
from certificates.models import CertifyingBody, Evidence, Standard
from certificates.standards import ensure_default_standards
from core import cli, households
from core.db import db

from tests.support import contains, database_rows, pdf_text

TODAY = datetime.date.today()


def phone_photo(colour=(40, 140, 60), size=(1600, 1200), gps=True, fmt="JPEG"):
    """A photo as a phone sends it: EXIF with the camera's maker, an orientation and (optionally) GPS."""
    picture = Image.new("RGB", size, colour)
    for x in range(0, size[0], 50):  # some detail, so the encoder has work to do
        picture.paste((250, 250, 250), (x, 0, x + 5, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # taken rotated: must come out upright
    if gps:
        place = exif.get_ifd(0x8825)
        place[1], place[2], place[3], place[4] = "N", (7.0, 1.0, 30.0), "E", (100.0, 28.0, 10.0)
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def inspection(app, admin_user, household_data):
    ensure_default_standards()
    household = households.create_household(household_data, admin_user)
    households.create_plot(household, {"name": "แปลง 1", "area_m2": "800"}, admin_user)
    return inspections.schedule_inspection(household, {
        "standard_id": Standard.get(Standard.code == "PGS-KH").id,
        "body_id": CertifyingBody.get(CertifyingBody.kind == "pgs").id, "scheduled_for": TODAY.isoformat()}, admin_user)


def stored_path(app, item, thumb=False):
    """Where the app keeps a piece of evidence (asked inside an app context of its own)."""
    with app.app_context():
        return evidence.path_of(item, thumb=thumb)


def upload(client, inspection, files, **form):
    data = dict(form, file=[(io.BytesIO(raw), name) for raw, name in files])
    return client.post(f"/inspections/{inspection.id}/evidence", data=data, content_type="multipart/form-data")


def test_phone_photos_are_kept_upright_without_location_under_their_hash(client, auth, inspection):
    """Two JPEGs from a phone: stored re-encoded, turned upright, without EXIF or GPS, named by their SHA-256,
    with a thumbnail; the inspection page shows them and lists the views still missing."""
    auth.login("inspector")
    response = upload(client, inspection, [(phone_photo(), "IMG_0001.jpg"), (phone_photo((90, 60, 30)), "IMG_0002.jpg")],
                      view="north", caption="แนวกันชนไผ่")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    kept = list(Evidence.select().order_by(Evidence.id))
    assert [(e.kind, e.view, e.caption, e.kept_location) for e in kept] == [("image", "north", "แนวกันชนไผ่", False)] * 2
    for item in kept:
        path = stored_path(client.application, item)
        assert path.startswith(os.path.join(client.application.instance_path, "evidence"))
        with open(path, "rb") as stored:
            raw = stored.read()
        import hashlib
        assert hashlib.sha256(raw).hexdigest() == item.sha256
        with Image.open(io.BytesIO(raw)) as picture:
            assert picture.size == (item.width, item.height) and picture.height > picture.width  # upright
            assert not picture.getexif() and "exif" not in picture.info
        assert os.path.exists(stored_path(client.application, item, thumb=True))
    page = client.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert page.count('data-testid="evidence-item"') == 2
    assert page.count('data-testid="missing-view"') == 5  # east, south, west, water, input store
    assert client.get(f"/evidence/{kept[0].id}/thumb").status_code == 200


def test_the_inspector_may_keep_the_location_for_the_record(client, auth, inspection):
    """With 'keep location' ticked the GPS block survives the re-encoding."""
    auth.login("inspector")
    assert upload(client, inspection, [(phone_photo(), "water.jpg")], view="water", keep_location="1").status_code == 302
    item = Evidence.get()
    with Image.open(stored_path(client.application, item)) as picture:
        assert picture.getexif().get_ifd(0x8825)[1] == "N"
    assert item.kept_location


@pytest.mark.parametrize("fmt, extension", [("PNG", "jpg"), ("WEBP", "jpg")])
def test_png_and_webp_are_accepted(client, auth, inspection, fmt, extension):
    """Other photo formats are read by content and stored as JPEG."""
    auth.login("inspector")
    assert upload(client, inspection, [(phone_photo(gps=False, fmt=fmt), f"photo.{fmt.lower()}")]).status_code == 302
    assert Evidence.get().extension == extension


def test_a_pdf_is_kept_as_sent(client, auth, inspection):
    """A document (the seed supplier's certificate, say) is kept byte for byte."""
    auth.login("inspector")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    assert upload(client, inspection, [(pdf, "seed-certificate.pdf")]).status_code == 302
    item = Evidence.get()
    assert (item.kind, item.original_name) == ("pdf", "seed-certificate.pdf")
    assert client.get(f"/evidence/{item.id}").data == pdf


@pytest.mark.parametrize("raw, name", [
    (b"MZ\x90\x00 not a photo", "photo.jpg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "photo.svg"),
    (phone_photo(gps=False)[:2000], "cut-off.jpg"),
])
def test_what_is_not_a_photo_or_pdf_is_refused_and_nothing_is_kept(client, auth, inspection, raw, name):
    """A file is judged by its content: a program, an SVG or a truncated JPEG is a 400 and leaves no trace."""
    auth.login("inspector")
    before = database_rows()
    response = upload(client, inspection, [(raw, name)])
    assert response.status_code == 400
    assert "JPEG" in response.get_data(as_text=True) or "PDF" in response.get_data(as_text=True)
    assert database_rows() == before
    assert not os.path.exists(os.path.join(client.application.instance_path, "evidence"))


def test_a_file_over_the_limit_is_refused(client, auth, inspection, monkeypatch):
    """A file over the size limit is refused with the limit in the message."""
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 10_000)
    auth.login("inspector")
    response = upload(client, inspection, [(phone_photo(), "big.jpg")])
    assert response.status_code == 400 and Evidence.select().count() == 0


def test_evidence_is_never_public(client, auth, inspection, make_user):
    """Signed out, a photo is a redirect to sign in; a cashier is refused."""
    auth.login("inspector")
    upload(client, inspection, [(phone_photo(), "a.jpg")], view="east")
    item = Evidence.get()
    auth.logout()
    for url in (f"/evidence/{item.id}", f"/evidence/{item.id}/thumb"):
        assert client.get(url).status_code == 302
    auth.login("cashier")
    assert client.get(f"/evidence/{item.id}").status_code == 403


def test_input_entries_carry_a_photo_of_the_bag(client, auth, inspection, admin_user):
    """The farm records page takes a photo of an input's label and shows it beside the entry."""
    household = inspection.household
    plot = household.plots.get()
    entry = records.add_input(household, {"plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "fertilizer",
                                          "name": "ปุ๋ยอินทรีย์ตราใบไม้"}, admin_user)
    auth.login("admin")
    response = client.post(f"/farm-records/inputs/{entry.id}/evidence", content_type="multipart/form-data",
                           data={"file": [(io.BytesIO(phone_photo()), "bag.jpg")]})
    assert response.status_code == 302
    assert Evidence.get().input_entry_id == entry.id
    assert 'data-testid="evidence-item"' in client.get(f"/households/{household.id}/farm").get_data(as_text=True)


def test_the_report_prints_the_photos_with_what_they_show(app, client, auth, inspection):
    """The inspection report PDF carries each photo as an image, labelled with its view."""
    from certificates.documents import inspection_report_pdf

    auth.login("inspector")
    upload(client, inspection, [(phone_photo(), "n.jpg")], view="north")
    upload(client, inspection, [(phone_photo((200, 180, 40)), "w.jpg")], view="water")
    with app.test_request_context("/"):
        pdf = inspection_report_pdf(inspection)
    text = pdf_text(pdf)
    assert contains(text, "ด้านทิศเหนือของแปลง") and contains(text, "แหล่งน้ำ")
    document = pypdfium2.PdfDocument(pdf)
    images = sum(1 for page in document for item in page.get_objects() if item.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
    assert images >= 2


def test_backup_and_restore_carry_the_evidence_files(app, app_config, client, auth, inspection, monkeypatch, tmp_path):
    """`backup FILE` writes the photos into FILE.files; `restore` brings them back to instance/evidence."""
    auth.login("inspector")
    upload(client, inspection, [(phone_photo(), "n.jpg")], view="north")
    item = Evidence.get()
    stored = stored_path(client.application, item).replace(client.application.instance_path, "")
    monkeypatch.setattr(cli, "_app", lambda: app)
    monkeypatch.setattr(cli, "create_app", lambda *a, **k: app)
    target = tmp_path / "backup.db"
    if not db.obj.__class__.__name__.startswith("Sqlite"):
        pytest.skip("the PostgreSQL backup needs pg_dump; the files are copied the same way")
    db.close()
    result = CliRunner().invoke(cli.backup, [str(target)])
    assert result.exit_code == 0, result.output
    assert os.path.exists(str(target) + ".files" + stored)
    os.remove(stored_path(client.application, item))
    db.close()
    result = CliRunner().invoke(cli.restore, [str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert os.path.exists(stored_path(client.application, item))
