"""Text in every PDF is shown as typed: markup, ampersands, images and links are letters, never commands.

Every text field a PDF prints is filled with ReportLab markup (bold, an <img> of a file on the
server, an <a> link, a lone "<" and "&"), then every PDF of the app is made over HTTP and its
text read back.
"""
import pypdfium2
import pytest

from certificates.models import (
    Certificate,
    CertifyingBody,
    Decision,
    Inspection,
    InspectionInspector,
    NonCompliance,
    Requirement,
    Standard,
)
from core.models import Household, Plot, Product
from core.pdf import escape_markup
from market.models import MarketDay, Setting, Settlement
from traceability import batches

from tests import test_access
from tests.support import contains, pdf_text
from tests.test_access import sign_in

world = test_access.world

# Short enough to fit a label's line unshortened; the rest of the markup follows in longer fields.
SHORT = "A&B<b>x</b>"
HOSTILE = 'A&B <b>bold</b> <img src="/etc/hostname"/> <a href="http://evil.test">link</a> 1<2 &amp;'


def _hostile_world(world):
    """Put markup into every text field that a PDF prints."""
    Setting.delete().where(Setting.key == "market_name").execute()
    Setting.create(key="market_name", value=HOSTILE)
    Household.update(display_name=SHORT).execute()
    Product.update(name_th=SHORT, name_en=SHORT).execute()
    Plot.update(name=HOSTILE).execute()
    Standard.update(name_th=HOSTILE, name_en=HOSTILE).execute()
    CertifyingBody.update(name_th=HOSTILE, name_en=HOSTILE).where(CertifyingBody.id == world["certificate"].body_id).execute()
    Requirement.update(text_th=HOSTILE, text_en=HOSTILE).execute()
    Inspection.update(findings=HOSTILE).execute()
    InspectionInspector.update(name=HOSTILE, organisation=HOSTILE).execute()
    Decision.update(conditions=HOSTILE).execute()
    Certificate.update(conditions=HOSTILE).execute()
    MarketDay.update(counter=SHORT).execute()
    Settlement.update(paid_on=world["closed_day"].market_date, paid_method="transfer", paid_reference=HOSTILE).execute()
    # A second harvest is recalled for the recall report: labels print only for the sellable first one.
    sold = world["batch"]
    recalled = batches.create_batch({"household_id": sold.household_id, "product_id": sold.product_id,
                                     "plot_id": sold.plot_id, "harvest_date": sold.harvest_date.isoformat(),
                                     "quantity": "1"}, world["council"])
    world["recalled_batch"] = batches.recall_batch(recalled, {"reason": HOSTILE}, world["council"])
    inspection = world["inspection"]
    NonCompliance.create(inspection=inspection, description=HOSTILE, severity="minor", corrective_action=HOSTILE)


def pdf_urls(world):
    """Every PDF the app makes, with what each must show."""
    certificate, batch = world["certificate"].number, world["batch"].code
    return {
        f"/api/v1/certificates/{certificate}.pdf": [SHORT, HOSTILE],
        f"/api/v1/inspections/{world['inspection'].id}/report.pdf": [SHORT, HOSTILE],
        f"/api/v1/batches/{batch}/labels.pdf?template=a4-3x8": [SHORT],
        f"/api/v1/batches/{batch}/labels.pdf?template=thermal-50x30": [SHORT],
        f"/market/days/{world['closed_day'].id}.pdf": [SHORT, HOSTILE],
        f"/market/settlements/{world['settlement'].id}.pdf": [SHORT, HOSTILE],
        f"/market/recalls/{world['recalled_batch'].code}.pdf": [SHORT, HOSTILE],
        "/market/dashboard.pdf": [SHORT, HOSTILE],
        "/market/impact.pdf": [HOSTILE],
    }


def test_escape_markup_keeps_every_character_as_text():
    """The one escaper turns &, < and > into entities, so a Paragraph shows them as typed."""
    assert escape_markup('<img src="x"/> & <a>') == '&lt;img src="x"/&gt; &amp; &lt;a&gt;'
    assert escape_markup("line 1\nline 2") == "line 1<br/>line 2"


@pytest.mark.parametrize("language", ["th", "en"])
def test_markup_in_every_text_field_is_printed_as_typed_in_every_pdf(client, world, language):
    """Every PDF is made (no 500), shows the hostile text letter for letter, embeds no image of the
    server and carries no link."""
    _hostile_world(world)
    sign_in(client, world["council"])
    client.set_cookie("lang", language)
    for url, expected in pdf_urls(world).items():
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}lang={language}")
        assert response.status_code == 200, (url, response.data[:300])
        assert response.mimetype == "application/pdf", url
        text = pdf_text(response.data)
        for value in expected:
            assert contains(text, value), (url, value, text[:2000])
        # The only pictures are the inspection's own evidence photos, never a file named in a text field.
        from certificates.models import Evidence
        photos = Evidence.select().where(Evidence.inspection == world["inspection"].id, Evidence.kind == "image").count()
        allowed = photos if "/inspections/" in url else 0
        document = pypdfium2.PdfDocument(response.data)
        images = sum(len(list(page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]))) for page in document)
        assert images == allowed, url
        assert b"/URI" not in response.data, url
