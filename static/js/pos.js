// The point of sale at the market counter: scan, build the basket, take payment, record the sale.
//
// It keeps working with no network: batches come from the counter's own copy (pos-store.js,
// refreshed from the API whenever online), each sale is stored on the tablet first and then sent
// through the same idempotent POST /api/v1/sales, in order, with retries. Every word comes from
// the page (templates/market/pos.html), so the same script serves Thai and English. Money is
// integer satang (BigInt where a product could overflow), quantities thousandths of a unit.
import * as store from "./pos-store.js";
import {Scale} from "./pos-scale.js";
import {promptPayPayload} from "./promptpay.js";
import {qrSvg} from "./qr.js";

const root = document.getElementById("pos");
const words = document.getElementById("pos-words").dataset;
const units = JSON.parse(words.units || "{}");
const $ = (id) => document.getElementById(id);

function show(element, text) {
  // The text, hidden when empty. Writes only a change: the same text written again still makes the
  // browser lay the basket out again, for every line at every scan.
  if (element.textContent !== text) element.textContent = text;
  if (element.hidden !== !text) element.hidden = !text;
}

const state = {
  lines: [],          // {code, product, household, unit, price, quantity: "1.250", discount: "0", batch, weighed}
  scans: Promise.resolve(),
  method: null,
  online: navigator.onLine,
  day: null,          // the open market day this tablet sells on: {id, counter, date}
  shownProblem: "",   // the basket problem last put in the refusal box, so it is cleared when fixed
  awaiting: null,     // the weighed line the scale's next stable reading goes to
  scale: null,
  queuedScans: 0,     // labels scanned and not looked up yet: the cursor stays in the scan box for them
};

// --- Money and quantities -------------------------------------------------------------------

function formatBaht(satang) {
  const sign = satang < 0 ? "-" : "";
  const value = Math.abs(satang);
  const baht = Math.floor(value / 100).toLocaleString("en-US");
  return `${sign}฿${baht}.${String(value % 100).padStart(2, "0")}`;
}

function asciiDigits(text) {
  // A Thai keyboard types ๑๒ for 12; read it as the server does (core/validation.py), not as "not a number".
  return String(text).replace(/[๐-๙]/g, (digit) => String(digit.charCodeAt(0) - 0x0E50));
}

function parseBaht(text) {
  // "12", "12.5", "1,200.50" -> satang; null when it is not an amount.
  const clean = asciiDigits(text).trim().replaceAll(",", "");
  if (clean === "") return 0;
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(clean);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

function parseMilli(text) {
  // "1.25" -> 1250 thousandths; null unless a positive number with at most three decimals.
  const match = /^(\d{1,6})(?:\.(\d{1,3}))?$/.exec(asciiDigits(text).trim());
  if (!match) return null;
  const milli = Number(match[1]) * 1000 + Number((match[2] || "0").padEnd(3, "0"));
  return milli > 0 ? milli : null;
}

function formatQuantity(milli, unit) {
  const whole = Math.floor(milli / 1000);
  const fraction = String(milli % 1000).padStart(3, "0").replace(/0+$/, "");
  return `${whole.toLocaleString("en-US")}${fraction ? `.${fraction}` : ""} ${units[unit] || unit}`;
}

function lineTotal(line) {
  if (line.price === null || line.price === undefined) return null;
  const milli = parseMilli(line.quantity);
  const discount = parseBaht(line.discount);
  if (milli === null || discount === null) return null;
  const gross = (BigInt(milli) * BigInt(line.price) + 500n) / 1000n;  // half up, as the server does
  return Number(gross) - discount;
}

// --- Talking to the server -------------------------------------------------------------------

async function api(url, options = {}) {
  const headers = {Accept: "application/json", ...(options.headers || {})};
  if (options.method && options.method !== "GET") headers["X-CSRFToken"] = root.dataset.csrfToken;
  const response = await fetch(url, {credentials: "same-origin", ...options, headers});
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  return {status: response.status, body};
}

function errorText(body) {
  return (body && body.error && body.error.message) || words.notFound;
}

// --- Scanning --------------------------------------------------------------------------------

function showRefusal(text) {
  show($("refusal"), text);
}

function setStatus(text) {
  $("pos-status").textContent = text || "";
}

function enqueueScan(text) {
  // Scans are looked up one after another, so a fast scanner never reorders or drops a label.
  const value = text.trim();
  if (!value) return;
  state.queuedScans += 1;
  state.scans = state.scans.then(() => lookup(value)).catch(() => showRefusal(words.offline))
    .finally(() => { state.queuedScans -= 1; });
}

function codeOf(text) {
  // A scan that throws (our URL with a broken %-escape makes decodeURIComponent throw) is a mistyped
  // code, not the "no connection" the scan queue would otherwise report for any error.
  try {
    return store.codeFromScan(text, root.dataset.baseUrl);
  } catch {
    return null;
  }
}

async function lookup(text) {
  const code = codeOf(text);
  if (!code) {
    showRefusal(words.mistyped);
    return;
  }
  let batch = await store.getBatch(code);
  if (!batch) {
    // Not in the counter's copy (registered since the last refresh): ask the server.
    let answer;
    try {
      answer = await api(`${root.dataset.lookupUrl}?scan=${encodeURIComponent(code)}`);
    } catch {
      showRefusal(words.notFoundOffline);
      return;
    }
    if (answer.status !== 200) {
      showRefusal(errorText(answer.body));
      return;
    }
    batch = answer.body;
  }
  if (!batch.sellable) {
    showRefusal(`${productName(batch)} · ${batch.household.public_name}: ${batch.refusal.message}`);
    return;
  }
  showRefusal("");
  addBatch(batch);
}

function productName(batch) {
  return root.dataset.language === "en" && batch.product.name_en ? batch.product.name_en : batch.product.name_th;
}

function isWeighed(batch) {
  return batch.unit === "kg";
}

function addBatch(batch) {
  // A counted product adds one to its line; a weighed one gets a new line whose weight comes next.
  const weighed = isWeighed(batch);
  const same = state.lines.find((line) => line.code === batch.code);
  if (same && !weighed) {
    same.quantity = String(((parseMilli(same.quantity) || 0) + 1000) / 1000);
    same.serverRefusal = null;
    $("cart").children[state.lines.indexOf(same)].querySelector(".line-quantity").value = same.quantity;
    updateTotals();
    return;
  }
  const line = {
    code: batch.code, product: productName(batch), household: batch.household.public_name, batch, weighed,
    unit: batch.unit, price: batch.price_satang, quantity: weighed ? "" : "1", discount: "",
  };
  state.lines.push(line);
  $("cart").append(lineItem(line, state.lines.length - 1));  // one new line, not the whole basket again
  $("cart-empty").hidden = true;
  updateTotals();
  if (weighed) {
    state.awaiting = line;
    // To the weight, unless the scanner is still typing labels (a code split across two boxes is lost).
    if (state.queuedScans <= 1 && !$("scan").value) $("cart").lastElementChild.querySelector(".line-quantity").focus();
    if (state.scale) state.scale.read().catch(() => scaleProblem());
  }
}

// --- The basket ------------------------------------------------------------------------------

function render() {
  $("cart").replaceChildren(...state.lines.map(lineItem));
  $("cart-empty").hidden = state.lines.length > 0;
  updateTotals();
}

function lineItem(line, index) {
  // The basket line on screen, wired to `line`; `index` is its place in state.lines.
  const item = $("line-template").content.firstElementChild.cloneNode(true);
  item.querySelector(".line-product").textContent = line.product;
  item.querySelector(".line-household").textContent = line.household;
  item.querySelector(".line-price").textContent = `${formatBaht(line.price)} ${words.per} ${units[line.unit] || line.unit}`;
  const quantity = item.querySelector(".line-quantity");
  quantity.value = line.quantity;
  if (line.weighed) {
    quantity.dataset.testid = "weight-input";
    quantity.placeholder = words.weightPlaceholder;
    item.querySelector(".line-quantity-label").textContent = words.weight;
    item.classList.add("line-weighed");
  }
  quantity.addEventListener("focus", () => { line.before = line.quantity; });
  quantity.addEventListener("input", () => {
    line.quantity = quantity.value;
    line.serverRefusal = null;
    if (state.awaiting === line) state.awaiting = null;  // typed by hand: the scale no longer overrides it
    updateTotals();
  });
  quantity.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (parseMilli(quantity.value) === null && /[^\d.,๐-๙\s]/.test(quantity.value)) {
      // A scanner typed a label into the weight box: put the weight back and sell the label.
      const scanned = quantity.value;
      line.quantity = line.before || "";
      quantity.value = line.quantity;
      updateTotals();
      enqueueScan(scanned);
    }
    focusScan();
  });
  const discount = item.querySelector(".line-discount");
  discount.value = line.discount;
  discount.addEventListener("input", () => { line.discount = discount.value; updateTotals(); });
  item.querySelector(".line-remove").addEventListener("click", () => {
    if (state.awaiting === line) state.awaiting = null;
    state.lines.splice(index, 1);
    render();
    focusScan();
  });
  item.dataset.index = String(index);
  return item;
}

function basketTotal() {
  let total = 0;
  for (const line of state.lines) {
    const amount = lineTotal(line);
    if (amount === null || amount < 0) return null;
    total += amount;
  }
  return total;
}

function wantedByCode() {
  // How much the basket asks of each batch (weighed lines of one batch add up), in one pass over
  // the lines, so checking every line at each scan does not grow with the square of the basket.
  const wanted = new Map();
  for (const line of state.lines) wanted.set(line.code, (wanted.get(line.code) || 0) + (parseMilli(line.quantity) || 0));
  return wanted;
}

function lineRefusal(line, wanted) {
  // Why this line cannot be sold, from the counter's copy (or the server's last answer), or null;
  // `wanted` is wantedByCode() of the basket.
  if (line.serverRefusal) return line.serverRefusal;
  const batch = line.batch;
  if (!batch) return null;
  if (!batch.sellable) return batch.refusal ? batch.refusal.message : words.notFound;
  if (batch.price_satang === null || batch.price_satang === undefined) return words.noPrice;
  if (batch.price_satang !== line.price) return words.priceChanged.replace("%(price)s", formatBaht(batch.price_satang));
  if (batch.sellable_milli !== undefined && wanted.get(line.code) > batch.sellable_milli) {
    return words.notEnough.replace("%(left)s", formatQuantity(batch.sellable_milli, batch.unit));
  }
  return null;
}

function updateTotals() {
  const cart = $("cart");
  const wanted = wantedByCode();
  state.lines.forEach((line, index) => {
    const item = cart.children[index];
    const amount = lineTotal(line);
    show(item.querySelector(".line-total"), amount === null ? "—" : formatBaht(amount));
    const waiting = line.weighed && line.quantity.trim() === "";  // not wrong, just not weighed yet
    item.classList.toggle("line-invalid", !waiting && (amount === null || amount < 0));
    const refusal = line.quantity === "" ? null : lineRefusal(line, wanted);
    show(item.querySelector(".line-refusal"), refusal || "");
    item.classList.toggle("line-refused", Boolean(refusal));
  });
  const total = basketTotal();
  show($("total"), total === null ? "—" : formatBaht(total));
  // The pay buttons are disabled while a line cannot be paid, so startPayment never gets to say
  // why: say it here, or the cashier sees only a grey button and a dash.
  const problem = basketProblem(wanted) || (state.lines.length && !state.day ? words.noDay : null);
  if (problem) {
    showRefusal(problem);
    state.shownProblem = problem;
  } else if (state.shownProblem && $("refusal").textContent === state.shownProblem) {
    showRefusal("");
    state.shownProblem = "";
  }
  const ready = state.lines.length > 0 && !problem && Boolean(dayId());
  $("pay-cash").disabled = !ready;
  $("pay-promptpay").disabled = !ready || $("pay-promptpay").dataset.unavailable === "1";
}

function dayId() {
  return state.day ? state.day.id : null;
}

// --- Payment ---------------------------------------------------------------------------------

function basketProblem(wanted = wantedByCode()) {
  // Why the basket cannot be paid: a line that cannot be sold, a weight not entered yet, a
  // quantity that is not a number, or a discount the line cannot carry.
  const refused = state.lines.find((line) => line.quantity !== "" && lineRefusal(line, wanted));
  if (refused) {
    const what = `${refused.product} · ${refused.household}: ${lineRefusal(refused, wanted)}`;
    return refused.serverRefusal ? `${words.notRecorded} ${what}` : what;
  }
  const unweighed = state.lines.find((line) => line.weighed && line.quantity.trim() === "");
  if (unweighed) return `${unweighed.product}: ${words.enterWeight}`;
  if (state.lines.some((line) => parseMilli(line.quantity) === null)) return words.badQuantity;
  if (state.lines.some((line) => parseBaht(line.discount) === null)) return words.badMoney;
  if (state.lines.some((line) => lineTotal(line) < 0)) return words.badDiscount;
  return null;
}

function startPayment(method) {
  const total = basketTotal();
  const problem = basketProblem();
  if (total === null || problem || !dayId()) {
    showRefusal(problem || words.noDay);
    return;
  }
  state.awaiting = null;  // what is paid for is what the basket shows now
  state.method = method;
  $("pay-total").textContent = formatBaht(total);
  $("cash-panel").hidden = method !== "cash";
  $("promptpay-panel").hidden = method !== "promptpay";
  $("payment-problem").hidden = true;
  $("payment").hidden = false;
  if (method === "cash") {
    $("tendered").value = "";
    updateChange();
    $("tendered").focus();
  } else {
    // Drawn here, not fetched: the QR for the exact amount needs no network at the counter.
    const payload = promptPayPayload(root.dataset.promptpayId, total);
    $("promptpay-qr").dataset.payload = payload;
    $("promptpay-qr").replaceChildren(qrSvg(payload));
    $("confirm").focus();
  }
}

function updateChange() {
  const total = basketTotal();
  const tendered = $("tendered").value.trim() === "" ? total : parseBaht($("tendered").value);
  $("change").textContent = tendered === null || tendered < total ? "—" : formatBaht(tendered - total);
}

function saleBody() {
  const total = basketTotal();
  const payment = {method: state.method};
  if (state.method === "cash") {
    const typed = $("tendered").value.trim();
    const tendered = typed === "" ? total : parseBaht(typed);
    if (tendered === null) throw new Error(words.badMoney);
    if (tendered < total) throw new Error(words.short);
    payment.cash_tendered_satang = tendered;
  }
  return {
    client_id: crypto.randomUUID(),
    market_day_id: dayId(),
    lines: state.lines.map((line) => ({
      batch_code: line.code,
      quantity: (parseMilli(line.quantity) / 1000).toFixed(3),
      unit_price_satang: line.price,
      discount_satang: parseBaht(line.discount),
    })),
    payment,
  };
}

async function confirmPayment() {
  const problem = $("payment-problem");
  let body;
  try {
    body = saleBody();
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
    return;
  }
  $("confirm").disabled = true;
  const taken = {};
  for (const line of body.lines) taken[line.batch_code] = (taken[line.batch_code] || 0) + store.milliOf(line.quantity);
  const sale = {client_id: body.client_id, body, status: "pending", created: Date.now(),
                total: basketTotal(), change: changeDue(body)};
  await store.queueSale(sale, taken);  // on the tablet first: nothing is lost if the network is gone
  await updateQueueView();
  await Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, 4000))]);
  $("confirm").disabled = false;
  const stored = (await store.allSales()).find((entry) => entry.client_id === sale.client_id);
  if (stored && stored.status === "refused") {
    await refusedInFront(stored, taken);
    return;
  }
  finishSale(sale, stored ? stored.status : "sent");
}

async function refusedInFront(sale, taken) {
  // The server refused the sale the customer is paying for: no change, no receipt. Say why, mark
  // the lines, keep the basket so the cashier can fix it and take payment again.
  await store.dropSale(sale.client_id, taken);
  await updateQueueView();
  $("payment").hidden = true;
  for (const refusal of sale.refusals || []) {
    const line = state.lines[refusal.index];
    if (line) line.serverRefusal = refusal.message;
  }
  render();
  if (!state.lines.some((line) => line.serverRefusal)) showRefusal(`${words.notRecorded} ${sale.reason}`);
  focusScan();
}

function changeDue(body) {
  return body.payment.cash_tendered_satang !== undefined ? body.payment.cash_tendered_satang - basketTotal() : 0;
}

// --- The queue of sales: sent in order, retried with back-off, refusals kept for the cashier --

let flushing = null;
let backoff = 1000;

function flush() {
  if (!flushing) flushing = sendQueue().finally(() => { flushing = null; });
  return flushing;
}

async function sendQueue() {
  const waiting = (await store.allSales()).filter((sale) => sale.status === "pending")
    .sort((a, b) => a.created - b.created);
  for (const sale of waiting) {
    let answer;
    try {
      answer = await api(root.dataset.salesUrl, {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(sale.body),
      });
    } catch {
      setOnline(false);
      setTimeout(flush, backoff);
      backoff = Math.min(backoff * 2, 30000);
      return;
    }
    setOnline(true);
    if (answer.status === 200 || answer.status === 201) {
      await store.deleteSale(sale.client_id);
      lastSent.set(sale.client_id, answer.body);
    } else if (answer.status === 401 || answer.status === 403 || answer.status >= 500) {
      setStatus(errorText(answer.body));  // signed out or server trouble: keep everything, try later
      setTimeout(flush, backoff);
      backoff = Math.min(backoff * 2, 30000);
      return;
    } else {
      const lines = (answer.body && answer.body.error && answer.body.error.lines) || [];
      sale.status = "refused";
      sale.reason = lines.length ? lines.map((line) => line.message).join(" · ") : errorText(answer.body);
      sale.refusals = lines;
      await store.putSale(sale);
    }
    await updateQueueView();
  }
  backoff = 1000;
  await updateQueueView();
  if (waiting.length) refresh();
}

const lastSent = new Map();

async function updateQueueView() {
  const sales = await store.allSales();
  const pending = sales.filter((sale) => sale.status === "pending");
  const refused = sales.filter((sale) => sale.status === "refused");
  $("pending-count").textContent = String(pending.length);
  $("pending").hidden = pending.length === 0;
  const list = $("attention-list");
  list.replaceChildren();
  for (const sale of refused) {
    const item = $("attention-template").content.firstElementChild.cloneNode(true);
    item.querySelector(".attention-what").textContent =
      `${new Date(sale.created).toLocaleTimeString(root.dataset.language === "th" ? "th-TH" : "en-GB", {hour: "2-digit", minute: "2-digit"})} · ${formatBaht(sale.total)}`;
    item.querySelector(".attention-reason").textContent = sale.reason;
    item.querySelector(".attention-dismiss").addEventListener("click", async () => {
      sale.status = "dismissed";
      await store.putSale(sale);
      updateQueueView();
    });
    list.append(item);
  }
  $("needs-attention").hidden = refused.length === 0;
}

// --- The counter's copy of the batches ---------------------------------------------------------

async function refresh() {
  const since = await store.getMeta("as_of");
  let answer;
  try {
    answer = await api(`${root.dataset.batchesUrl}${since ? `?since=${encodeURIComponent(since)}` : ""}`);
  } catch {
    setOnline(false);
    return;
  }
  if (answer.status !== 200) return;
  setOnline(true);
  await store.putBatches(answer.body.items, answer.body.as_of, answer.body.full);
  showDataAge(answer.body.as_of);
  // A line already in the basket is checked again against the fresh copy (a recall, a new price).
  for (const line of state.lines) {
    const fresh = await store.getBatch(line.code);
    if (fresh) line.batch = fresh;
  }
  updateTotals();
}

function showDataAge(asOf) {
  if (!asOf) return;
  const time = new Date(asOf).toLocaleTimeString(root.dataset.language === "th" ? "th-TH" : "en-GB", {hour: "2-digit", minute: "2-digit"});
  $("data-age").textContent = words.dataAsOf.replace("%(time)s", time);
}

function setOnline(online) {
  state.online = online;
  $("offline").hidden = online;
  updateTotals();
}

function finishSale(sale) {
  // Recorded, or kept on the tablet to be sent: either way the customer is served and gets change.
  $("payment").hidden = true;
  $("done-total").textContent = formatBaht(sale.total);
  $("done-change").textContent = formatBaht(Math.max(0, sale.change));
  const sent = lastSent.get(sale.client_id);
  $("receipt-link").hidden = !sent;
  $("receipt-link").href = sent ? root.dataset.receiptUrl.replace("/0/", `/${sent.id}/`) : "#";
  $("saved-offline").hidden = Boolean(sent);
  $("done").hidden = false;
  $("next-customer").focus();
}

function nextCustomer() {
  state.lines = [];
  state.method = null;
  state.awaiting = null;
  $("done").hidden = true;
  showRefusal("");
  render();
  focusScan();
}

// --- Camera ----------------------------------------------------------------------------------

const camera = {stream: null, timer: null, busy: false};

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showRefusal(words.noCamera);
    return;
  }
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
  } catch {
    showRefusal(words.noCamera);
    return;
  }
  const video = $("camera-video");
  video.srcObject = camera.stream;
  await video.play();
  $("camera").hidden = false;
  setStatus(words.scanning);
  const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
  camera.timer = setInterval(() => readFrame(video, detector), 300);
}

async function readFrame(video, detector) {
  if (camera.busy || !video.videoWidth) return;
  camera.busy = true;
  try {
    let text = null;
    if (detector) {
      const found = await detector.detect(video);
      text = found.length ? found[0].rawValue : null;
    } else {
      const canvas = $("camera-canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      const form = new FormData();
      form.append("frame", blob, "frame.jpg");
      const answer = await api(root.dataset.decodeUrl, {method: "POST", body: form});
      text = answer.status === 200 ? answer.body.text : null;
    }
    if (text && camera.stream) {
      stopCamera();
      enqueueScan(text);
    }
  } finally {
    camera.busy = false;
  }
}

function stopCamera() {
  clearInterval(camera.timer);
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  $("camera").hidden = true;
  setStatus("");
  focusScan();
}

// --- Product search --------------------------------------------------------------------------

let searchTimer = null;

function search(query) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const list = $("search-results");
    if (!query.trim()) {
      list.replaceChildren();
      return;
    }
    const {status, body} = await api(`${root.dataset.searchUrl}?q=${encodeURIComponent(query)}`);
    list.replaceChildren();
    const items = status === 200 ? body.items : [];
    if (!items.length) {
      const empty = document.createElement("li");
      empty.textContent = words.nothingFound;
      list.append(empty);
    }
    for (const batch of items) {
      const item = $("result-template").content.firstElementChild.cloneNode(true);
      const button = item.querySelector("button");
      button.textContent = `${productName(batch)} · ${batch.household.public_name} · ${formatBaht(batch.price_satang || 0)} · ${batch.display_code}`;
      button.addEventListener("click", async () => {
        if (!batch.sellable) {
          showRefusal(batch.refusal.message);
          focusScan();
          return;
        }
        showRefusal("");
        addBatch((await store.getBatch(batch.code)) || batch);
        if (!isWeighed(batch)) focusScan();
      });
      list.append(item);
    }
  }, 250);
}

// --- The counter this tablet sells at ----------------------------------------------------------

const COUNTER_KEY = "pos-counter";  // remembered by name: tomorrow the same counter is a new market day

function setCounter(day) {
  state.day = day;
  if (day) localStorage.setItem(COUNTER_KEY, day.counter);
  $("counter-name").textContent = day ? day.counter : "—";
  $("counter-date").textContent = day ? day.date : "";
  $("counter-chooser").hidden = true;
  updateTotals();
  focusScan();
}

function chooseCounter() {
  // One open counter: that one. Several: the one this tablet sold at before, else ask.
  const days = JSON.parse(root.dataset.days || "[]");
  $("counter-change").hidden = days.length < 2;
  const saved = days.find((day) => day.counter === localStorage.getItem(COUNTER_KEY));
  if (days.length === 1) setCounter(days[0]);
  else if (saved) setCounter(saved);
  else if (days.length > 1) showCounterChooser();
}

function showCounterChooser() {
  const days = JSON.parse(root.dataset.days || "[]");
  const list = $("counter-options");
  list.replaceChildren();
  for (const day of days) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "counter-option";
    button.dataset.testid = "counter-option";
    button.textContent = `${day.counter} · ${day.date}`;
    button.addEventListener("click", () => setCounter(day));
    list.append(button);
  }
  $("counter-chooser").hidden = false;
}

// --- The scale (Web Serial) -------------------------------------------------------------------

async function connectScale() {
  const protocol = $("scale-protocol").value;
  localStorage.setItem("pos-scale-protocol", protocol);
  if (state.scale) await state.scale.close();
  state.scale = new Scale(protocol, onScaleReading, scaleProblem);
  try {
    await state.scale.connect();
  } catch {
    state.scale = null;
    scaleProblem();
    return;
  }
  $("scale-state").textContent = words.scaleConnected;
  $("scale-read").hidden = protocol !== "mt-sics";
  $("scale-tare").disabled = false;
}

function scaleProblem() {
  $("scale-state").textContent = words.scaleProblem;
  $("scale-reading").textContent = "—";
}

function onScaleReading(reading) {
  // Shown as it moves; a stable reading becomes the weight of the line waiting for one.
  $("scale-reading").textContent = reading.milli === null ? "—" : formatQuantity(reading.milli, "kg");
  $("scale-reading").classList.toggle("scale-moving", !reading.stable);
  const line = state.awaiting;
  if (!reading.stable || reading.milli === null || reading.milli <= 0 || !line || !state.lines.includes(line)) return;
  line.quantity = (reading.milli / 1000).toFixed(3);
  line.serverRefusal = null;
  const item = $("cart").children[state.lines.indexOf(line)];
  item.querySelector(".line-quantity").value = line.quantity;
  updateTotals();
  if (document.activeElement === item.querySelector(".line-quantity")) focusScan();
}

// --- Focus: the scanner types into whatever has focus -----------------------------------------

function focusScan() {
  if ($("payment").hidden && $("done").hidden) $("scan").focus();
}

function typingElsewhere(target) {
  return target && target !== $("scan") && target.matches("input, select, textarea, summary");
}

document.addEventListener("click", (event) => {
  if (!typingElsewhere(event.target) && !event.target.closest("a, details")) focusScan();
});

$("scan-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("scan").value;
  $("scan").value = "";
  enqueueScan(text);
});
$("pay-cash").addEventListener("click", () => startPayment("cash"));
$("pay-promptpay").addEventListener("click", () => startPayment("promptpay"));
$("tendered").addEventListener("input", updateChange);
$("tendered").addEventListener("keydown", (event) => { if (event.key === "Enter") confirmPayment(); });
for (const button of document.querySelectorAll("[data-cash]")) {
  button.addEventListener("click", () => {
    const total = basketTotal();
    const amount = button.dataset.cash === "exact" ? total : Number(button.dataset.cash);
    $("tendered").value = (amount / 100).toFixed(2);
    updateChange();
  });
}
$("confirm").addEventListener("click", confirmPayment);
$("cancel-payment").addEventListener("click", () => { $("payment").hidden = true; focusScan(); });
$("next-customer").addEventListener("click", nextCustomer);
$("camera-start").addEventListener("click", startCamera);
$("camera-stop").addEventListener("click", stopCamera);
$("search").addEventListener("input", (event) => search(event.target.value));
$("counter-change").addEventListener("click", showCounterChooser);
$("scale-button").addEventListener("click", () => { $("scale").hidden = !$("scale").hidden; });
$("scale-connect").addEventListener("click", connectScale);
$("scale-tare").addEventListener("click", () => state.scale && state.scale.tare().catch(scaleProblem));
$("scale-read").addEventListener("click", () => state.scale && state.scale.read().catch(scaleProblem));
$("scale-protocol").value = localStorage.getItem("pos-scale-protocol") || "continuous";
$("scale-button").hidden = !Scale.available();
document.addEventListener("keydown", (event) => {
  if (event.key === "F2" && !$("pay-cash").disabled) {
    event.preventDefault();
    startPayment("cash");
  } else if (event.key === "Escape" && !$("payment").hidden) {
    $("cancel-payment").click();
  }
});
window.addEventListener("online", () => { flush(); refresh(); });
window.addEventListener("offline", () => setOnline(false));
setInterval(() => { flush(); }, 15000);
setInterval(() => { refresh(); }, 60000);
if ("serviceWorker" in navigator) navigator.serviceWorker.register(root.dataset.serviceWorkerUrl, {scope: "/"}).catch(() => {});

chooseCounter();
render();
focusScan();
store.getMeta("as_of").then(showDataAge);
updateQueueView().then(() => { refresh(); flush(); });
