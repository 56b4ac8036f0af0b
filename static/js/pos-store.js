// The counter's own copy, in IndexedDB, of what a sale needs: batches, the queue of sales not yet
// on the server, and when the copy was last refreshed. It survives reloads, closed tabs and a
// restarted tablet. Also the batch-code rules (alphabet and check symbol, as traceability/codes.py),
// so a mistyped code is caught with no network.

const DB_NAME = "greenmarket-pos";
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
const THAI_DIGITS = {"๐": "0", "๑": "1", "๒": "2", "๓": "3", "๔": "4", "๕": "5", "๖": "6", "๗": "7", "๘": "8", "๙": "9"};

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

let opened = null;

export function openStore() {
  if (!opened) {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      db.createObjectStore("batches", {keyPath: "code"});
      db.createObjectStore("sales", {keyPath: "client_id"});
      db.createObjectStore("meta");
    };
    opened = request(opening);
  }
  return opened;
}

async function transaction(stores, mode, work) {
  const db = await openStore();
  const tx = db.transaction(stores, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  const result = await work(tx);
  await done;
  return result;
}

// The batches are also kept in memory, by code, so a scan finds its batch with no IndexedDB
// transaction (several milliseconds on a busy tablet). Read once, read again after each refresh
// (which also picks up what another tab wrote), and changed with IndexedDB by every sale below.
let copy = null;

function readBatches() {
  copy = transaction(["batches"], "readonly", (tx) => request(tx.objectStore("batches").getAll()))
    .then((items) => new Map(items.map((item) => [item.code, item])))
    .catch((error) => { copy = null; throw error; });  // read again at the next scan
  return copy;
}

async function remember(written) {
  // Called once the transaction has committed; the objects are the ones written, never changed later.
  const batches = await (copy || readBatches());
  for (const batch of written) batches.set(batch.code, batch);
}

export function getMeta(key) {
  return transaction(["meta"], "readonly", (tx) => request(tx.objectStore("meta").get(key)));
}

export function milliOf(quantity) {
  // "1.250" -> 1250, exactly (no floating point).
  const [whole, fraction = ""] = String(quantity).split(".");
  return Number(whole) * 1000 + Number(fraction.padEnd(3, "0").slice(0, 3));
}

export function putBatches(items, asOf, full) {
  return transaction(["batches", "sales", "meta"], "readwrite", async (tx) => {
    const store = tx.objectStore("batches");
    if (full) await request(store.clear());
    // Stock taken by sales still waiting in the queue stays taken in the fresh copy.
    const waiting = await request(tx.objectStore("sales").getAll());
    const taken = {};
    for (const sale of waiting.filter((entry) => entry.status === "pending")) {
      for (const line of sale.body.lines) taken[line.batch_code] = (taken[line.batch_code] || 0) + milliOf(line.quantity);
    }
    for (const item of items) {
      item.sellable_milli = Math.max(0, item.sellable_milli - (taken[item.code] || 0));
      store.put(item);
    }
    tx.objectStore("meta").put(asOf, "as_of");
  }).then(readBatches);
}

export async function getBatch(code) {
  return (await (copy || readBatches())).get(code);
}

export function countBatches() {
  return transaction(["batches"], "readonly", (tx) => request(tx.objectStore("batches").count()));
}

async function moveStock(tx, taken, sign) {
  // Take (sign -1) or give back (sign +1) each batch's quantity in the copy, in the caller's
  // transaction; returns the batches written.
  const batches = tx.objectStore("batches");
  const written = [];
  for (const [code, milli] of Object.entries(taken)) {
    const batch = await request(batches.get(code));
    if (batch) {
      batch.sellable_milli = Math.max(0, batch.sellable_milli + sign * milli);
      batches.put(batch);
      written.push(batch);
    }
  }
  return written;
}

export function queueSale(sale, taken) {
  // The sale and the stock it takes are written together: a crash leaves both or neither.
  return transaction(["sales", "batches"], "readwrite", (tx) => {
    tx.objectStore("sales").put(sale);
    return moveStock(tx, taken, -1);
  }).then(remember);
}

export function allSales() {
  return transaction(["sales"], "readonly", (tx) => request(tx.objectStore("sales").getAll()));
}

export function dropSale(clientId, taken) {
  // A sale the server refused in front of the cashier: forget it and give its stock back to the copy.
  return transaction(["sales", "batches"], "readwrite", (tx) => {
    tx.objectStore("sales").delete(clientId);
    return moveStock(tx, taken, 1);
  }).then(remember);
}

export function putSale(sale) {
  return transaction(["sales"], "readwrite", (tx) => { tx.objectStore("sales").put(sale); });
}

export function deleteSale(clientId) {
  return transaction(["sales"], "readwrite", (tx) => { tx.objectStore("sales").delete(clientId); });
}

// --- Codes -----------------------------------------------------------------------------------

export function checkSymbol(body) {
  let total = 0;
  let factor = 2;
  for (let index = body.length - 1; index >= 0; index -= 1) {
    const addend = factor * ALPHABET.indexOf(body[index]);
    total += Math.floor(addend / ALPHABET.length) + (addend % ALPHABET.length);
    factor = 3 - factor;
  }
  return ALPHABET[(ALPHABET.length - (total % ALPHABET.length)) % ALPHABET.length];
}

export function parseCode(text) {
  // The canonical code in a typed code (any case, dashes, Thai digits), or null if it cannot be one.
  const code = [...String(text)].map((char) => THAI_DIGITS[char] || char).join("")
    .replace(/[\s\-_.·]+/g, "").toUpperCase();
  if (code.length !== 8 || [...code].some((char) => !ALPHABET.includes(char))) return null;
  return checkSymbol(code.slice(0, 7)) === code[7] ? code : null;
}

export function codeFromScan(text, baseUrl) {
  // A label's /b/<code> URL (of this market only) or a bare code; null when it is neither.
  const value = String(text).trim();
  if (value.length > 300) return null;
  if (!value.includes("/")) return parseCode(value);
  let url;
  try {
    url = new URL(value.includes("://") ? value : `http://${value}`);
  } catch {
    return null;
  }
  if (url.hostname.toLowerCase() !== new URL(baseUrl).hostname.toLowerCase()) return null;
  const match = /\/b\/([^/?#]+)\/?$/.exec(url.pathname);
  return match ? parseCode(decodeURIComponent(match[1])) : null;
}
