"""A harvest a grower records waits for the secretariat's check: no label, no sale, not on sale to shoppers."""
import datetime
import json

import pytest

from core import invitations
from core.models import AuditEntry
from core.validation import ValidationError
from market import sales
from traceability import batches, labels
from traceability.models import Batch

from tests.support import database_rows


@pytest.fixture
def recorded(certified_household):
    """A certified household, a grower of it, and a harvest that grower recorded on their phone."""
    setup = dict(certified_household)
    setup["grower"] = invitations.add_grower_account(setup["household"], {"name": "มาลี ทองคำ"}, setup["committee"])
    setup["batch"] = batches.create_batch(
        {"household_id": setup["household"].id, "product_id": setup["product"].id, "plot_id": setup["plot"].id,
         "harvest_date": datetime.date.today().isoformat(), "quantity": "8", "price": "55"},
        setup["grower"], recorded_by=setup["grower"])
    return setup


def test_a_grower_harvest_waits_for_the_check(recorded):
    """Recorded by a grower: awaiting_check, who recorded it, and every door to a sale shut until checked."""
    batch = recorded["batch"]
    assert batch.awaiting_check and batch.recorded_by_id == recorded["grower"].id
    assert batch.status == "awaiting_check"
    assert batches.sale_block(batch) == "awaiting_check"
    assert "not yet checked" in str(labels.label_refusal(batch))
    assert sales.refusal_for(batch).code == "awaiting_check"
    with pytest.raises(labels.LabelsRefused):
        labels.print_labels([batch], "a4-3x8", 1, "http://market.test", recorded["committee"])


def test_a_staff_harvest_needs_no_check(certified_household):
    """The secretariat's own harvests are on sale at once, as before."""
    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": datetime.date.today().isoformat(), "quantity": "2"},
                                 setup["committee"])
    assert not batch.awaiting_check and batch.recorded_by is None
    assert labels.label_refusal(batch) is None


def test_a_grower_records_only_their_own_household(recorded, household_data):
    """A grower recording for another household is refused and nothing is written."""
    from core import households

    other = households.create_household(dict(household_data, code="KH-02-002", national_id=""), recorded["committee"])
    before = database_rows()
    with pytest.raises(ValidationError) as refused:
        batches.create_batch({"household_id": other.id, "product_id": recorded["product"].id,
                              "harvest_date": datetime.date.today().isoformat(), "quantity": "1"}, recorded["grower"])
    assert "household_id" in refused.value.errors
    assert database_rows() == before


def test_checking_corrects_confirms_and_audits(recorded):
    """The secretariat corrects the quantity and confirms: labels and sale open, the audit names both."""
    batch = batches.check_harvest(recorded["batch"], recorded["committee"], {"quantity": "7.5"})
    stored = Batch.get_by_id(batch.id)
    assert not stored.awaiting_check and stored.quantity_milli == 7500 and stored.price_satang == 5500
    assert labels.label_refusal(stored) is None and sales.refusal_for(stored) is None
    entry = AuditEntry.get((AuditEntry.entity == "batch") & (AuditEntry.action == "check"))
    assert json.loads(entry.changes) == {"awaiting_check": [True, False], "quantity_milli": [8000, 7500]}
    with pytest.raises(ValidationError):
        batches.check_harvest(stored, recorded["committee"], {})


def test_a_bad_correction_changes_nothing(recorded):
    """A correction the harvest form would refuse is refused here too, and the harvest still waits."""
    before = database_rows()
    with pytest.raises(ValidationError) as refused:
        batches.check_harvest(recorded["batch"], recorded["committee"], {"quantity": "-3"})
    assert "quantity" in refused.value.errors
    assert database_rows() == before


def test_pos_and_sale_refuse_an_unchecked_harvest(client, recorded, make_user):
    """The counter's lookup says why, and a sale of it is refused with nothing written."""
    cashier = make_user("cashier", "kaew")
    day = sales.open_market_day({"counter": "A", "opening_float": "100"}, recorded["committee"])
    from core import accounts

    token = {"Authorization": f"Bearer {accounts.create_token(cashier)}"}
    answer = client.get(f"/api/v1/pos/lookup?scan={recorded['batch'].code}", headers=token).get_json()
    assert answer["sellable"] is False and answer["refusal"]["code"] == "awaiting_check"
    before = database_rows()
    with pytest.raises(sales.SaleRefused):
        sales.record_sale({"client_id": "0b7c1f7a-3f7c-4a51-9d3e-0d7a7c1c2b11", "market_day_id": day.id,
                           "lines": [{"batch_code": recorded["batch"].code, "quantity": "1"}],
                           "payment": {"method": "cash"}}, cashier, "http://market.test")
    assert database_rows() == before


def test_trace_page_does_not_offer_an_unchecked_harvest(client, recorded):
    """The shopper's page says it is not on sale yet and shows no price; after the check it does."""
    code = recorded["batch"].code
    page = client.get(f"/b/{code}").get_data(as_text=True)
    assert 'data-testid="awaiting-check"' in page and "55.00" not in page
    batches.check_harvest(recorded["batch"], recorded["committee"], {})
    page = client.get(f"/b/{code}").get_data(as_text=True)
    assert 'data-testid="awaiting-check"' not in page and "55.00" in page


def test_secretariat_home_list_and_check_page(client, recorded):
    """Home task → batch list with a check action → the check form → confirmed, labels may be printed."""
    with client.session_transaction() as session:
        session["user_id"] = recorded["committee"].id
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="task-harvests-to-check"' in home
    code = recorded["batch"].code
    listing = client.get("/batches?status=awaiting_check").get_data(as_text=True)
    assert f'data-testid="check-{code}"' in listing
    form = client.get(f"/batches/{code}/check")
    assert form.status_code == 200 and 'data-testid="confirm-check"' in form.get_data(as_text=True)
    today = datetime.date.today()
    assert "มาลี ทองคำ" in form.get_data(as_text=True)
    assert f'value="{today.day:02d}/{today.month:02d}/{today.year + 543}"' in form.get_data(as_text=True)
    assert client.post(f"/batches/{code}/check", data={"quantity": "abc"}).status_code == 400
    assert Batch.get_by_id(recorded["batch"].id).awaiting_check
    values = batches.check_values(recorded["batch"])
    response = client.post(f"/batches/{code}/check", data=dict(values, quantity="6"))
    assert response.status_code == 302
    assert Batch.get_by_id(recorded["batch"].id).quantity_milli == 6000
    assert 'data-testid="task-harvests-to-check"' not in client.get("/").get_data(as_text=True)
    assert client.get(f"/batches/{code}/check").status_code == 302


def test_grower_label_rule(recorded):
    """A grower prints at home only their household's checked batches, and only where the secretariat allowed it."""
    from core import households

    batch, grower = recorded["batch"], recorded["grower"]
    assert labels.grower_label_refusal(batch, grower) is not None  # not allowed yet
    households.set_grower_prints_labels(recorded["household"], True, recorded["committee"])
    batch = Batch.get_by_id(batch.id)
    assert "not yet checked" in str(labels.grower_label_refusal(batch, grower))
    batch = batches.check_harvest(batch, recorded["committee"], {})
    assert labels.grower_label_refusal(Batch.get_by_id(batch.id), grower) is None
    assert labels.grower_label_refusal(Batch.get_by_id(batch.id), recorded["committee"]) is not None
