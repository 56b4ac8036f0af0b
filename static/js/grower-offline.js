// The grower's forms on a weak connection: what is typed is kept on the phone until the server
// has it, and an entry made with no connection is queued and sent once when the connection is
// back. "Once" rests on the entry's client_id: the server keeps the first entry under an id and
// answers a repeat with it (the POS's exactly-once idea). Plain script, no third-party code.
(function () {
  "use strict";
  var QUEUE = "grower-queue";
  var DRAFT = "grower-draft:";

  function read(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) { localStorage.setItem(key, JSON.stringify(value)); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16)), hex = "";
    bytes[6] = (bytes[6] & 15) | 64; bytes[8] = (bytes[8] & 63) | 128;
    for (var i = 0; i < 16; i++) { hex += (bytes[i] + 256).toString(16).slice(1); }
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function fields(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "csrf_token" && el.type !== "file" && el.type !== "submit") { values[el.name] = el.value; }
    });
    return values;
  }
  function fill(form, values) {
    Object.keys(values).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.type !== "file") { el.value = values[name]; }
    });
  }

  function showState() {
    var queue = read(QUEUE, []);
    var note = document.querySelector("[data-testid=offline-note]");
    var count = document.querySelector("[data-testid=pending-count]");
    if (!note) { return; }
    note.hidden = navigator.onLine && queue.length === 0;
    count.textContent = queue.length ? count.getAttribute("data-pending-label") + " " + queue.length : "";
    count.setAttribute("data-count", String(queue.length));
  }

  function send() {
    var queue = read(QUEUE, []);
    if (!queue.length || !navigator.onLine) { showState(); return; }
    var item = queue[0];
    var body = Object.assign({}, item.fields);
    if (item.kind !== "harvest") { body.kind = item.kind; }
    fetch(item.api, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": item.csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      // Signed out (401) or the server in trouble (5xx): the entry stays queued for the next try.
      var refused = response.status >= 400 && response.status < 500 && response.status !== 401;
      if (!response.ok && !refused) { showState(); return; }
      if (refused) {  // the entry itself was refused: give what was typed back to its form, to correct
        write(DRAFT + item.kind, item.fields);
      }
      var rest = read(QUEUE, []).filter(function (queued) { return queued.fields.client_id !== item.fields.client_id; });
      write(QUEUE, rest);
      showState();
      if (rest.length) { send(); }
    }).catch(showState);  // still no connection: try again on the next "online"
  }

  function setUp(form) {
    var kind = form.getAttribute("data-offline");
    var recorded = document.querySelector("[data-recorded]");
    var draft = read(DRAFT + kind, null);
    if (draft && recorded && draft.client_id === recorded.getAttribute("data-recorded")) {
      localStorage.removeItem(DRAFT + kind);
    } else if (draft && !form.querySelector(".has-error")) {
      fill(form, draft);
    }
    form.addEventListener("input", function () { write(DRAFT + kind, fields(form)); });
    form.addEventListener("change", function () { write(DRAFT + kind, fields(form)); });
    form.addEventListener("submit", function (event) {
      write(DRAFT + kind, fields(form));
      if (navigator.onLine) { return; }  // the ordinary post; the draft goes once the server answers
      event.preventDefault();
      var queue = read(QUEUE, []);
      queue.push({kind: kind, api: form.getAttribute("data-api"), csrf: form.elements.csrf_token.value, fields: fields(form)});
      write(QUEUE, queue);
      localStorage.removeItem(DRAFT + kind);
      form.reset();
      form.elements.client_id.value = newId();
      showState();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), setUp);
    window.addEventListener("online", send);
    window.addEventListener("offline", showState);
    send();
  });
})();
