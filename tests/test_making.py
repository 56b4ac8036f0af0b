"""Batches made from harvests: honey bottled from three hives' harvests, sold, recalled through the
chain; certification of what was made; a group's craft settled by shares; a bottling racing a sale."""
import datetime
import threading
import uuid

import pytest

from certificates import certification
from core import households, products
from core.db import db
from core.models import HouseholdOccupation, OccupationGroup
from market import sales, settings, settlements
from market.models import SaleLine
from reports import massbalance
from traceability import batches, making, recalls
from traceability.models import Batch, BatchEvent, BatchInput

from tests.browser.seeds import certify
from tests.support import database_rows, pdf_text

BASE_URL = "http://market.test"
TODAY = datetime.date.today()


def days_ago(days):
    return (TODAY - datetime.timedelta(days=days)).isoformat()


def _household(code, name, village, committee, plots):
    household = households.create_household({"code": code, "head_name": f"หัวหน้า {code}", "display_name": name,
                                             "village_no": village, "grower_status": "active",
                                             "pledge_date": "2024-01-15"}, committee)
    return household, [households.create_plot(household, {"name": plot, "area_m2": "400"}, committee) for plot in plots]


@pytest.fixture
def apiary(make_user):
    """A certified bee-keeping household with three hives, a 2 kg harvest from each, jars, a cashier and counter A."""
    from certificates.standards import ensure_default_standards

    committee = make_user("admin", "committee")
    ensure_default_standards()
    honey = products.create_product({"name_th": "น้ำผึ้งชันโรง", "name_en": "Stingless-bee honey", "unit": "kg",
                                     "category": "honey", "default_price": "800"}, committee)
    jar = products.create_product({"name_th": "น้ำผึ้งชันโรงบรรจุขวด", "name_en": "Stingless-bee honey, jar",
                                   "unit": "bottle", "category": "honey", "default_price": "250"}, committee)
    household, hives = _household("KH-04-001", "ชันโรงบ้านนา", "4", committee, ["รังที่ 1", "รังที่ 2", "รังที่ 3"])
    certificate = None
    for hive in hives[:1]:
        certificate = certify(household, hive, [honey, jar], committee, TODAY)
    # All three hives are in the certificate's scope.
    from certificates.models import CertificatePlot
    CertificatePlot.insert_many([{"certificate": certificate.id, "plot": hive.id} for hive in hives[1:]]).execute()
    harvests = [batches.create_batch({"household_id": household.id, "product_id": honey.id, "plot_id": hive.id,
                                      "harvest_date": days_ago(10 - index), "quantity": "2"}, committee)
                for index, hive in enumerate(hives)]
    cashier = make_user("cashier", "kaew")
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, committee)
    return {"committee": committee, "honey": honey, "jar": jar, "household": household, "hives": hives,
            "certificate": certificate, "harvests": harvests, "cashier": cashier, "day": day}


def bottling(apiary, quantities=("1.5", "1.5", "1.5"), jars="18", **extra):
    return {"household_id": apiary["household"].id, "product_id": apiary["jar"].id, "made_on": days_ago(2),
            "quantity": jars, "client_id": str(uuid.uuid4()),
            "inputs": [{"batch_code": harvest.code, "quantity": quantity}
                       for harvest, quantity in zip(apiary["harvests"], quantities)], **extra}


def sell(apiary, code, quantity="1", client_id=None):
    return sales.record_sale({"client_id": client_id or str(uuid.uuid4()), "market_day_id": apiary["day"].id,
                              "lines": [{"batch_code": code, "quantity": quantity}], "payment": {"method": "cash"}},
                             apiary["cashier"], BASE_URL)


def reload(batch):
    return Batch.get_by_id(batch.id)


# --- Making -----------------------------------------------------------------------------------


def test_bottling_takes_each_hives_honey_once_and_gives_the_jars_their_own_code(apiary):
    """The jars are a new batch with its own code; each harvest gives exactly what went in; a retry takes nothing more."""
    data = bottling(apiary)
    jars, created = making.record_made_batch(data, apiary["committee"])
    assert created and jars.is_made and jars.code not in {h.code for h in apiary["harvests"]}
    assert jars.quantity_milli == 18_000 and jars.unit == "bottle" and jars.price_satang == 25_000
    assert [reload(h).left_milli for h in apiary["harvests"]] == [500, 500, 500]
    again, created_again = making.record_made_batch(data, apiary["committee"])
    assert not created_again and again.id == jars.id
    assert [reload(h).left_milli for h in apiary["harvests"]] == [500, 500, 500]
    assert BatchInput.select().count() == 3
    assert [b.code for b in batches.input_batches(jars)] == [h.code for h in apiary["harvests"]]
    assert BatchEvent.select().where(BatchEvent.kind == "used").count() == 3


def test_more_than_a_harvest_holds_is_refused_and_nothing_is_written(apiary):
    """Asking 2.5 kg of a 2 kg harvest names the line; no batch, no stock taken."""
    before = database_rows()
    with pytest.raises(batches.ValidationError) as refused:
        making.record_made_batch(bottling(apiary, ("1", "2.5", "1")), apiary["committee"])
    assert "inputs.1.quantity" in refused.value.errors and "2 kg" in str(refused.value.errors["inputs.1.quantity"])
    assert database_rows() == before


@pytest.mark.parametrize("change, field", [
    ({"inputs": []}, "inputs"),
    ({"inputs": [{"batch_code": "ABCD-2345", "quantity": "1"}]}, "inputs.0.batch_code"),
    ({"made_on": "2099-01-01"}, "made_on"),
    ({"quantity": "-1"}, "quantity"),
])
def test_bad_makings_are_refused_with_the_field(apiary, change, field):
    """A making without inputs, with a mistyped code, in the future or of no quantity says which field is wrong."""
    before = database_rows()
    with pytest.raises(batches.ValidationError) as refused:
        making.record_made_batch(dict(bottling(apiary), **change), apiary["committee"])
    assert field in refused.value.errors
    assert database_rows() == before


def test_another_households_batch_needs_a_group(apiary):
    """Without an occupation group, a household can make only from its own batches."""
    other, (plot,) = _household("KH-04-002", "สวนลุงดำ", "4", apiary["committee"], ["รังริมคลอง"])
    theirs = batches.create_batch({"household_id": other.id, "product_id": apiary["honey"].id, "plot_id": plot.id,
                                   "harvest_date": days_ago(5), "quantity": "1"}, apiary["committee"])
    data = bottling(apiary)
    data["inputs"].append({"batch_code": theirs.code, "quantity": "1"})
    with pytest.raises(batches.ValidationError) as refused:
        making.record_made_batch(data, apiary["committee"])
    assert "inputs.3.batch_code" in refused.value.errors


# --- Certification ----------------------------------------------------------------------------


def test_jars_of_certified_harvests_are_certified(apiary):
    """Every hive's harvest was certified on its harvest date, so the jars are."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    status = batches.batch_certification(jars)
    assert status.certified and status.certificate.id == apiary["certificate"].id


def test_a_harvest_from_before_the_certificate_makes_the_jars_uncertified(client, apiary):
    """A harvest taken before the certificate was issued was not certified then: the POS and the
    trace page say why, and the trace page marks that harvest."""
    early = batches.create_batch({"household_id": apiary["household"].id, "product_id": apiary["honey"].id,
                                  "plot_id": apiary["hives"][0].id, "harvest_date": days_ago(60), "quantity": "1"},
                                 apiary["committee"])
    data = bottling(apiary)
    data["inputs"].append({"batch_code": early.code, "quantity": "1"})
    jars, _ = making.record_made_batch(data, apiary["committee"])
    assert batches.batch_certification(jars).state == "input_not_certified"
    refusal = sales.refusal_for(reload(jars))
    assert refusal.code == "input_not_certified" and "not certified when harvested" in str(refusal.message)
    trace = client.get(f"/b/{jars.code}").get_data(as_text=True)
    status = trace.split('data-testid="certification-status"')[1].split("</section>")[0]
    assert "ทำจากล็อตที่ไม่ได้รับการรับรองอินทรีย์" in status and "status-certified" not in trace
    origins = trace.split('data-testid="origins"')[1].split("</ul>")[0]
    assert origins.count("ไม่ได้รับการรับรองอินทรีย์ในวันที่เก็บเกี่ยว") == 1


def test_when_making_is_a_certified_step_the_maker_must_be_certified_for_the_jar(apiary):
    """With the product's flag on, a maker certified for honey but not for jars cannot sell them as organic."""
    from certificates.models import CertificateProduct
    CertificateProduct.delete().where(CertificateProduct.product == apiary["jar"].id).execute()
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    assert batches.batch_certification(jars).certified
    products.update_product(apiary["jar"], {"making_certified": "1"}, apiary["committee"], partial=True)
    assert batches.batch_certification(reload(jars)).state == "maker_not_certified"


def test_a_suspended_beekeeper_stops_the_jars_at_the_counter(apiary):
    """A suspension of the honey certificate reaches the jars made from its harvests."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    certification.suspend(apiary["certificate"], {"reason": "พบการใช้สารเคมีใกล้รัง"}, apiary["committee"])
    with pytest.raises(sales.SaleRefused) as refused:
        sell(apiary, jars.code)
    assert refused.value.refusals[0].code == "input_not_certified"


# --- The whole story: bottled, sold, recalled, refused, reported ------------------------------


def test_honey_bottled_sold_then_one_harvest_recalled_stops_the_jars(client, auth, token_for, apiary):
    """Three hives' honey into jars, two sales of jars at the POS; recalling hive 2's harvest asks first,
    then stops the jars at the counter (scan and sale refused, in Thai), warns on their trace page,
    and the recall report lists the jars' sales."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    till = token_for("cashier", "api-cashier")
    scan = f"{BASE_URL}/b/{jars.code}"
    looked_up = client.get("/api/v1/pos/lookup", query_string={"scan": scan}, headers=till).get_json()
    assert looked_up["sellable"] and looked_up["price_satang"] == 25_000

    def pos_sale(quantity):
        return client.post("/api/v1/sales", headers=till, json={
            "client_id": str(uuid.uuid4()), "market_day_id": apiary["day"].id,
            "lines": [{"batch_code": scan, "quantity": quantity}], "payment": {"method": "cash"}})

    first, second = pos_sale("2"), pos_sale("1")
    assert first.status_code == second.status_code == 201
    assert reload(jars).sold_milli == 3000
    hive2 = apiary["harvests"][1]

    auth.login("inspector", "checker")
    asked = client.post(f"/batches/{hive2.code}/recall", data={"reason": "พบสารตกค้างในรังที่ 2"})
    assert asked.status_code == 200 and 'data-testid="recall-confirm"' in asked.get_data(as_text=True)
    page = asked.get_data(as_text=True)
    assert jars.code[:4] in page and reload(jars).recalled_at is None and reload(hive2).recalled_at is None

    done = client.post("/recalls", data={"code": hive2.code, "reason": "พบสารตกค้างในรังที่ 2", "confirm": "1"})
    assert done.status_code == 302
    assert reload(hive2).recalled_at is not None and reload(jars).recalled_at is not None
    assert reload(apiary["harvests"][0]).recalled_at is None

    refused = client.get("/api/v1/pos/lookup", query_string={"scan": scan}, headers=till).get_json()
    assert not refused["sellable"] and refused["refusal"]["code"] == "recalled"
    answer = pos_sale("1")
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "recalled"
    assert "เรียกคืน" in answer.get_json()["error"]["message"]
    trace = client.get(f"/b/{jars.code}").get_data(as_text=True)
    assert 'data-testid="recall-notice"' in trace and "พบสารตกค้างในรังที่ 2" in trace

    report = client.get(done.headers["Location"]).get_data(as_text=True)
    sold = report.split('data-testid="recall-sales"')[1]
    assert f"<td>{first.get_json()['id']}</td>" in sold and f"<td>{second.get_json()['id']}</td>" in sold
    csv_text = client.get(f"/market/recalls/{hive2.code}.csv").get_data().decode("utf-8-sig")
    assert len(csv_text.splitlines()) == 3 and f"{jars.code[:4]}-{jars.code[4:]}" in csv_text
    pdf = client.get(f"/market/recalls/{hive2.code}.pdf")
    assert pdf.status_code == 200 and "฿500.00" in pdf_text(pdf.data)


def test_recall_by_plot_and_dates_previews_then_stops_harvests_and_jars(client, auth, apiary):
    """A prohibited input found on hive 1: the preview lists its harvest and the jars, recalls nothing;
    the confirmation recalls exactly those."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    auth.login("admin", "secretariat")
    filters = {"plot_id": apiary["hives"][0].id, "harvested_from": days_ago(30), "harvested_to": days_ago(0)}
    preview = client.get("/recalls", query_string=filters)
    scope = preview.get_data(as_text=True).split('data-testid="recall-scope"')[1]
    assert apiary["harvests"][0].code[:4] in scope and jars.code[:4] in scope and apiary["harvests"][1].code[:4] not in scope
    assert Batch.select().where(Batch.recalled_at.is_null(False)).count() == 0
    answer = client.post("/recalls", data=dict(filters, reason="ใช้สารกำจัดแมลงต้องห้ามใกล้รัง", confirm="1"))
    assert answer.status_code == 302
    recalled = {b.code for b in Batch.select().where(Batch.recalled_at.is_null(False))}
    assert recalled == {apiary["harvests"][0].code, jars.code}
    assert client.post("/recalls", data=dict(filters, reason="อีกครั้ง", confirm="1")).status_code == 400


def test_recall_needs_a_filter(apiary):
    """A recall of 'everything' is refused: a batch, household, plot or product must be named."""
    with pytest.raises(batches.ValidationError):
        recalls.recall({"reason": "x", "confirm": "1"}, apiary["committee"])


# --- Trace page -------------------------------------------------------------------------------


def test_jar_trace_page_tells_its_story_back_to_each_hive(client, apiary):
    """The jar's page names each harvest's household, village, hive and date; no personal name or phone."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    html = client.get(f"/b/{jars.code}").get_data(as_text=True)
    origins = html.split('data-testid="origins"')[1].split("</ul>")[0]
    assert origins.count("<li>") == 3
    for hive in ("รังที่ 1", "รังที่ 2", "รังที่ 3"):
        assert hive in origins
    assert "ชันโรงบ้านนา" in origins and "หมู่ที่ 4" in origins
    assert "หัวหน้า" not in html and "<script" not in html


def test_jar_trace_page_with_its_css_fits_in_14_kb_compressed(client, apiary):
    """The same one-round-trip budget as a harvest's page, with a long product name and three origins."""
    import gzip
    products.update_product(apiary["jar"], {"name_th": "น้ำผึ้งชันโรงแท้จากสวนผลไม้ริมคลองแห บรรจุขวดแก้ว 250 กรัม"},
                            apiary["committee"], partial=True)
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    html = client.get(f"/b/{jars.code}").get_data()
    stylesheets = [part.split('"')[0] for part in html.decode().split('rel="stylesheet" href="')[1:]]
    total = len(gzip.compress(html, 9)) + sum(len(gzip.compress(client.get(url).get_data(), 9)) for url in stylesheets)
    assert stylesheets and total <= 14 * 1024, f"{total} bytes compressed"


def test_counters_local_copy_learns_that_a_hives_certificate_was_suspended(apiary):
    """An offline counter's refresh since a moment brings the jars when the beekeeper's certificate changes."""
    jars, _ = making.record_made_batch(bottling(apiary), apiary["committee"])
    since = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    Batch.update(changed_at=since - datetime.timedelta(minutes=1)).execute()
    certification.suspend(apiary["certificate"], {"reason": "พบการใช้สารเคมีใกล้รัง"}, apiary["committee"])
    _full, changed = sales.batches_for_counter(since=since)
    refusals = {batch.code: refusal for batch, refusal in changed}
    assert jars.code in refusals and refusals[jars.code].code == "input_not_certified"


# --- Mass balance -----------------------------------------------------------------------------


def test_mass_balance_counts_honey_used_in_jars_against_what_the_hives_gave(apiary):
    """In a season from 8 days ago the hives gave 2 kg (one harvest batch) but 4.5 kg went into jars
    (the older harvests too): the household is flagged, and the jars themselves are not."""
    making.record_made_batch(bottling(apiary), apiary["committee"])
    rows = massbalance.balances(TODAY - datetime.timedelta(days=8), TODAY)
    honey = next(b for b in rows if b.product.id == apiary["honey"].id)
    assert honey.used_milli == 4500 and honey.harvested_milli == 2000
    assert "used_over_harvested" in honey.flags
    assert not any(b.product.id == apiary["jar"].id and b.flags for b in rows)


# --- API --------------------------------------------------------------------------------------


def test_api_makes_a_batch_once_and_reads_its_inputs_and_outputs(client, token_for, apiary):
    """POST /made-batches is 201 then 200 for the same client_id; inputs and outputs read both ways."""
    headers = token_for("admin", "script")
    data = bottling(apiary)
    first = client.post("/api/v1/made-batches", json=data, headers=headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["kind"] == "made" and len(body["inputs"]) == 3 and body["inputs"][0]["quantity_used"] == "1.500"
    assert client.post("/api/v1/made-batches", json=data, headers=headers).status_code == 200
    assert Batch.select().where(Batch.kind == "made").count() == 1
    inputs = client.get(f"/api/v1/batches/{body['code']}/inputs", headers=headers).get_json()["items"]
    assert {item["plot"]["name"] for item in inputs} == {"รังที่ 1", "รังที่ 2", "รังที่ 3"}
    assert "head_name" not in str(inputs) and "หัวหน้า" not in str(inputs)
    outputs = client.get(f"/api/v1/batches/{apiary['harvests'][0].code}/outputs", headers=headers).get_json()["items"]
    assert [item["code"] for item in outputs] == [body["code"]]
    refused = client.post("/api/v1/made-batches", json=dict(bottling(apiary, ("9", "1", "1"))), headers=headers)
    assert refused.status_code == 400 and "inputs.0.quantity" in refused.get_json()["error"]["fields"]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/made-batches" in paths and "/batches/{code}/inputs" in paths and "/batches/{code}/outputs" in paths


# --- Concurrency ------------------------------------------------------------------------------


def test_bottling_and_selling_the_same_harvest_at_once_never_oversell(app, apiary):
    """Six bottlings of 0.5 kg and six sales of 0.5 kg race for one 2 kg harvest: exactly four succeed."""
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "", "commission_percent": "0",
                            "stock_tolerance_percent": "0"}, apiary["committee"])
    harvest = apiary["harvests"][0]
    db.close()
    start = threading.Barrier(12)
    outcomes = []

    def bottle():
        with app.test_request_context(), db.connection_context():
            start.wait()
            data = {"household_id": apiary["household"].id, "product_id": apiary["jar"].id, "made_on": days_ago(1),
                    "quantity": "2", "inputs": [{"batch_code": harvest.code, "quantity": "0.5"}]}
            try:
                making.record_made_batch(data, apiary["committee"])
                outcomes.append("bottled")
            except batches.ValidationError:
                outcomes.append("refused")

    def sale():
        with app.test_request_context(), db.connection_context():
            start.wait()
            try:
                sell(apiary, harvest.code, "0.5")
                outcomes.append("sold")
            except sales.SaleRefused:
                outcomes.append("refused")

    threads = [threading.Thread(target=bottle if index % 2 else sale) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 12 and outcomes.count("refused") == 8
    fresh = reload(harvest)
    used = BatchInput.select().where(BatchInput.input == harvest.id).count()
    sold = SaleLine.select().where(SaleLine.batch == harvest.id).count()
    assert fresh.sold_milli == 2000 and (used + sold) * 500 == 2000


# --- A group's craft --------------------------------------------------------------------------


@pytest.fixture
def craft(make_user):
    """Three weavers of one group give 5, 3 and 2 bunches of pandan leaves to a batch of 4 baskets at ฿250,
    sold in one sale on counter A (still open); commission 10 %."""
    committee = make_user("admin", "committee")
    leaves = products.create_product({"name_th": "ใบเตย", "name_en": "Pandan leaves", "unit": "bunch",
                                      "category": "other", "is_certifiable": False}, committee)
    basket = products.create_product({"name_th": "ตะกร้าสานใบเตย", "name_en": "Pandan basket", "unit": "piece",
                                      "category": "handicraft", "default_price": "250"}, committee)
    group = OccupationGroup.create(name_th="กลุ่มจักสานใบเตย", name_en="Pandan weavers")
    weavers = []
    for index, given in enumerate(("5", "3", "2")):
        household, _plots = _household(f"KH-02-00{index + 1}", f"บ้านสาน {index + 1}", "2", committee, [])
        HouseholdOccupation.create(household=household, group=group)
        weavers.append((household, batches.create_batch({
            "household_id": household.id, "product_id": leaves.id, "harvest_date": days_ago(5), "quantity": given},
            committee)))
    baskets, _ = making.record_made_batch({
        "household_id": weavers[0][0].id, "occupation_group_id": group.id, "product_id": basket.id,
        "made_on": days_ago(3), "quantity": "4",
        "inputs": [{"batch_code": batch.code, "quantity": str(batch.quantity_milli // 1000)} for _h, batch in weavers]},
        committee)
    cashier = make_user("cashier", "kaew")
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "", "commission_percent": "10",
                            "stock_tolerance_percent": "0"}, committee)
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, committee)
    sale, _ = sales.record_sale({"client_id": str(uuid.uuid4()), "market_day_id": day.id,
                                 "lines": [{"batch_code": baskets.code, "quantity": "4"}], "payment": {"method": "cash"}},
                                cashier, BASE_URL)
    return {"committee": committee, "weavers": [h for h, _b in weavers], "baskets": baskets, "day": day, "sale": sale}


def settle_today(craft):
    sales.close_market_day(craft["day"], {"counted_cash": "1000"}, craft["committee"])
    made = settlements.create_settlements({"period_start": days_ago(0), "period_end": days_ago(0)}, craft["committee"])
    return {s.household_id: s for s in made}


def test_a_craft_made_by_three_households_settles_to_each_by_share(client, auth, craft):
    """The baskets' ฿1,000 settle ฿500, ฿300 and ฿200 (less 10 %) and each statement shows its share."""
    assert batches.batch_certification(craft["baskets"]).state == "not_certifiable"
    by_household = settle_today(craft)
    assert [by_household[h.id].gross_satang for h in craft["weavers"]] == [50_000, 30_000, 20_000]
    assert [by_household[h.id].net_satang for h in craft["weavers"]] == [45_000, 27_000, 18_000]
    assert SaleLine.select().where(SaleLine.settlement.is_null()).count() == 0
    statement = by_household[craft["weavers"][1].id]
    lines = settlements.statement_lines(statement)
    assert len(lines) == 1 and lines[0]["total_satang"] == 30_000 and lines[0]["share_percent"] == 30
    assert settlements.preview({"period_start": days_ago(0), "period_end": days_ago(0)})[3] == []
    auth.login("admin", "secretariat")
    page = client.get(f"/market/settlements/{statement.id}").get_data(as_text=True)
    assert 'data-testid="share"' in page and "30%" in page and "฿300.00" in page
    pdf = client.get(f"/market/settlements/{statement.id}.pdf")
    assert pdf.status_code == 200 and "30%" in pdf_text(pdf.data) and "฿270.00" in pdf_text(pdf.data)


def test_a_refund_of_a_group_craft_comes_off_each_share_to_the_satang(craft):
    """One basket of ฿250 given back: ฿125, ฿75 and ฿50 come off; an odd ฿0.01 split still adds up."""
    line = SaleLine.get(SaleLine.sale == craft["sale"])
    sales.refund_line(line, {"quantity": "1", "reason": "สานหลุด"}, craft["committee"])
    by_household = settle_today(craft)
    assert [by_household[h.id].refunds_satang for h in craft["weavers"]] == [12_500, 7_500, 5_000]
    assert sum(s.gross_satang - s.refunds_satang for s in by_household.values()) == 75_000
    assert making.split_by_share(1, {1: 5, 2: 3, 3: 2}) == {1: 1, 2: 0, 3: 0}
    assert sum(making.split_by_share(-101, {1: 5, 2: 3, 3: 2}).values()) == -101


# --- Upgrading a database of the release before ---------------------------------------------


def test_upgrade_adds_making_to_a_database_with_harvests_and_sales(app, app_config, apiary):
    """The making steps (product flag, batch kind and inputs, settlement shares) run on a database
    from before them, keep every harvest and sale, and mark old batches as harvests."""
    from core import models as core_models
    from core.app import create_app
    from core.db import SchemaVersion
    from market import models as market_models
    from traceability import models as trace_models

    sale, _ = sell(apiary, apiary["harvests"][0].code, "0.5")
    db.execute_sql("DROP TABLE batch_input")
    db.execute_sql("DROP TABLE settlement_share")
    db.execute_sql("ALTER TABLE product DROP COLUMN making_certified")
    # Back to just before each making step; the steps after it run again and must keep the data too.
    for models, step in ((trace_models, trace_models._add_made_batches),
                         (market_models, market_models._add_settlement_shares),
                         (core_models, core_models._add_making_certified)):
        SchemaVersion.update(version=models.MIGRATIONS.index(step)).where(
            SchemaVersion.domain == models.__name__.split(".")[0]).execute()
    db.close()

    create_app(app_config)
    assert [b.kind for b in Batch.select()] == ["harvest"] * 3
    assert reload(apiary["harvests"][0]).sold_milli == 500 and SaleLine.select().count() == 1
    jars, created = making.record_made_batch(bottling(apiary, ("1", "1", "1")), apiary["committee"])
    assert created and BatchInput.select().count() == 3
    assert core_models.Product.get_by_id(apiary["jar"].id).making_certified is False
