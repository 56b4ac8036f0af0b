"""Personal names never leave the council's own pages: public pages, labels and public PDFs show a
household by the display name it chose, or by its code and village, never by a person's name.
"""
import importlib

import pytest

from certificates.documents import certificate_pdf
from certificates.models import Certificate
from core.models import Household, Member
from market.models import Sale
from traceability.batches import batch_certification
from traceability.labels import label_content, labels_pdf
from traceability.models import Batch

from tests.support import contains, pdf_text


@pytest.fixture
def demo(app):
    """The whole demo data set: households, certificates, batches and sales."""
    for name in ("core", "certificates", "traceability", "market"):
        importlib.import_module(f"{name}.demo").load_demo_data()


def personal_names():
    """Every head's and member's full name in the database."""
    names = {h.head_name for h in Household.select()} | {m.full_name for m in Member.select()}
    return {name for name in names if name}


def test_public_name_is_the_display_name_else_the_code(app, household_data):
    """A household without a display name is shown by its code, never by its head's name."""
    from core import households

    chosen = households.create_household(household_data, None)
    unnamed = households.create_household(dict(household_data, code="KH-01-002", display_name=""), None)
    assert chosen.public_name == "สวนป้าศรี"
    assert unnamed.public_name == "KH-01-002"


def test_no_public_page_label_or_public_pdf_of_the_demo_shows_a_personal_name(client, app, demo):
    """Every trace page, certificate check, receipt page, label sheet and certificate PDF of the demo
    data set, in Thai and English, is searched for every head's and member's full name."""
    names = personal_names()
    unnamed = Household.select().where(Household.display_name == "")
    assert len(names) > 60 and unnamed.count() > 0, "the demo has households without a display name"
    batches = list(Batch.select())
    urls = ([f"/b/{b.code}" for b in batches] + [f"/c/{c.number}" for c in Certificate.select()]
            + [f"/r/{s.receipt_token}" for s in Sale.select()])
    for language in ("th", "en"):
        client.set_cookie("lang", language)
        for url in urls:
            page = client.get(url).get_data(as_text=True)
            leaked = [name for name in names if name in page]
            assert not leaked, (url, leaked)
    with app.test_request_context():
        for language in ("th", "en"):
            contents = [(label_content(b, batch_certification(b), "http://market.test"), 1) for b in batches]
            texts = [pdf_text(labels_pdf(contents, "a4-3x8", language))]
            texts += [pdf_text(certificate_pdf(c, "http://market.test", language)) for c in Certificate.select()]
            for text in texts:
                leaked = [name for name in names if contains(text, name)]
                assert not leaked, leaked
    unnamed_batch = next(b for b in batches if b.household.display_name == "")
    page = client.get(f"/b/{unnamed_batch.code}").get_data(as_text=True)
    assert unnamed_batch.household.code in page
