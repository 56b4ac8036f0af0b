"""Screening: a reviewer other than the inspectors passes a recorded file or sends it back with notes,
and the committee decides only a screened file, where the certifying body asks for screening."""
import datetime
import io

import pytest
from PIL import Image

from certificates import certification, evidence, inspections
from certificates.models import EVIDENCE_VIEWS, CertifyingBody, Standard
from certificates.standards import ensure_default_standards
from core import households
from core.validation import ValidationError

from tests.support import pgs_peers

TODAY = datetime.date.today().isoformat()


def jpeg(colour):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def recorded(app, make_user, household_data):
    """An inspection recorded by `recorder` for a body that asks for screening."""
    ensure_default_standards()
    recorder = make_user("inspector", "somchai", full_name="สมชาย ใจดี")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    body.requires_screening = True
    body.save()
    household = households.create_household(household_data, recorder)
    inspection = inspections.schedule_inspection(household, {
        "standard_id": Standard.get(Standard.code == "PGS-KH").id, "body_id": body.id, "scheduled_for": TODAY}, recorder)
    record = {"inspected_on": TODAY, "inspectors": pgs_peers(),
              "results": {str(c.id): {"result": "pass"} for c in inspections.checklist(inspection)}}
    inspections.record_inspection(inspection, record, recorder)
    return {"inspection": inspection, "recorder": recorder, "record": record}


def _photograph_every_view(app, inspection, user):
    with app.app_context():
        for n, view in enumerate(EVIDENCE_VIEWS):
            evidence.add(jpeg((10 * n, 100, 50)), f"{view}.jpg", {"view": view}, user, inspection=inspection)


def test_an_inspector_of_the_file_cannot_screen_it(recorded):
    """The one who recorded it, and anyone named among its inspectors, are refused."""
    with pytest.raises(ValidationError):
        inspections.screen(recorded["inspection"], {"outcome": "passed"}, recorded["recorder"])


def test_the_committee_cannot_decide_before_screening(recorded, make_user):
    """Where the body asks for screening, a recorded but unscreened file cannot be decided."""
    committee = make_user("admin", "chair")
    with pytest.raises(ValidationError) as caught:
        certification.decide(recorded["inspection"], {"outcome": "approve"}, committee)
    assert "outcome" in caught.value.errors


def test_a_file_without_the_required_photos_cannot_pass(app, recorded, make_user):
    """Passing needs every required view photographed; sending back needs notes."""
    reviewer = make_user("inspector", "reviewer", full_name="ผู้ทบทวน")
    with app.test_request_context("/"), pytest.raises(ValidationError) as caught:
        inspections.screen(recorded["inspection"], {"outcome": "passed"}, reviewer)
    with app.test_request_context("/"):
        assert "แหล่งน้ำ" in str(caught.value.errors["outcome"])
    with pytest.raises(ValidationError):
        inspections.screen(recorded["inspection"], {"outcome": "sent_back"}, reviewer)


def test_sent_back_then_recorded_again_then_passed_then_decided(app, recorded, make_user):
    """The whole path: sent back with notes, re-recorded by the inspectors, photographed, passed, decided;
    every step keeps who, when and why."""
    inspection = recorded["inspection"]
    reviewer = make_user("inspector", "reviewer", full_name="ผู้ทบทวน")
    committee = make_user("admin", "chair")
    inspections.screen(inspection, {"outcome": "sent_back", "notes": "ขาดภาพแนวกันชนและแหล่งน้ำ"}, reviewer)
    assert inspection.status == "returned"
    with pytest.raises(ValidationError):
        certification.decide(inspection, {"outcome": "approve"}, committee)
    inspections.record_inspection(inspection, recorded["record"], recorded["recorder"])
    assert inspection.status == "completed" and inspection.results.count() == len(inspections.checklist(inspection))
    _photograph_every_view(app, inspection, recorded["recorder"])
    inspections.screen(inspection, {"outcome": "passed", "notes": "ครบถ้วน"}, reviewer)
    decision = certification.decide(inspection, {"outcome": "approve"}, committee)
    assert decision.outcome == "approve" and inspection.status == "decided"
    steps = [(s.outcome, s.reviewer.username, s.notes) for s in inspections.screenings(inspection)]
    assert steps == [("sent_back", "reviewer", "ขาดภาพแนวกันชนและแหล่งน้ำ"), ("passed", "reviewer", "ครบถ้วน")]


def test_the_inspection_page_offers_screening_to_a_reviewer(client, auth, recorded):
    """The page shows the screening buttons on a recorded file, and the screening is kept with the reviewer's name."""
    auth.login("inspector", "reviewer")
    page = client.get(f"/inspections/{recorded['inspection'].id}").get_data(as_text=True)
    assert 'data-testid="screen-pass"' in page and 'data-testid="screen-send-back"' in page
    response = client.post(f"/inspections/{recorded['inspection'].id}/screen", data={"outcome": "sent_back", "notes": "ขาดภาพ"})
    assert response.status_code == 302
    assert "ขาดภาพ" in client.get(f"/inspections/{recorded['inspection'].id}").get_data(as_text=True)
