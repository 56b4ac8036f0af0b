// A counter scale on a USB or serial cable, read through the browser's Web Serial API (Chromium on
// a laptop or an Android tablet with Chrome 89+). Two kinds of scale are common at a market:
//
// - continuous: the scale sends its reading several times a second, one line each, in the A&D /
//   generic indicator format "ST,GS,+0001.250kg" (ST stable, US unstable, OL overload; GS gross,
//   NT net). Tare is kept here: the stable reading when Tare is pressed is taken off the next ones.
// - on request (Mettler Toledo MT-SICS, also spoken by many others): we send "S" and the scale
//   answers "S S      1.250 kg" when stable ("S D" while it still moves, "S I" busy, "S +"/"S -"
//   overload or underload); "T" tares on the scale itself and answers "T S      0.150 kg".
//
// Readings are integer thousandths of a kilogram (grams), as the rest of the POS counts quantity.
// Nothing here is needed to sell: the weight can always be typed.

export const PROTOCOLS = {
  continuous: {baudRate: 9600, request: null, tare: null},
  "mt-sics": {baudRate: 9600, request: "S\r\n", tare: "T\r\n"},
};

const CONTINUOUS = /^(ST|US|OL),(GS|NT|TR),\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*(kg|g)\s*$/i;
const SICS = /^([ST])\s+([SD])\s+([+-]?)\s*(\d+(?:\.\d+)?)\s*(kg|g)\s*$/i;

function toMilli(sign, number, unit) {
  // "1.250" kg -> 1250; "750" g -> 750; exact, with no floating point.
  const [whole, fraction = ""] = number.split(".");
  let milli = unit.toLowerCase() === "g"
    ? Number(whole) + (fraction && Number(fraction[0]) >= 5 ? 1 : 0)
    : Number(whole) * 1000 + Number(fraction.padEnd(3, "0").slice(0, 3));
  if (sign === "-") milli = -milli;
  return milli;
}

export function parseReading(protocol, text) {
  // One line from the scale -> {kind: "weight"|"tare", stable, milli} or null for anything else.
  const line = text.trim();
  if (protocol === "continuous") {
    const match = CONTINUOUS.exec(line);
    if (!match) return null;
    if (match[1].toUpperCase() === "OL") return {kind: "weight", stable: false, milli: null};
    return {kind: "weight", stable: match[1].toUpperCase() === "ST", milli: toMilli(match[3], match[4], match[5])};
  }
  const match = SICS.exec(line);
  if (!match) return null;
  return {
    kind: match[1].toUpperCase() === "T" ? "tare" : "weight",
    stable: match[2].toUpperCase() === "S",
    milli: toMilli(match[3], match[4], match[5]),
  };
}

export class Scale {
  // One connected scale: call connect(), then listen with onReading; read() asks an on-request scale.
  constructor(protocol, onReading, onProblem) {
    this.protocol = protocol;
    this.settings = PROTOCOLS[protocol];
    this.onReading = onReading;
    this.onProblem = onProblem;
    this.port = null;
    this.tareMilli = 0;  // a continuous scale's tare, kept here
    this.tarePending = false;
  }

  static available() {
    return "serial" in navigator;
  }

  async connect() {
    this.port = await navigator.serial.requestPort();
    await this.port.open({baudRate: this.settings.baudRate});
    this.listen();
    if (this.settings.request) await this.read();
  }

  async listen() {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = this.port.readable.getReader();
    this.reader = reader;
    try {
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        for (const line of lines) this.handle(line);
      }
    } catch {
      this.onProblem();
    } finally {
      reader.releaseLock();
    }
  }

  handle(line) {
    const reading = parseReading(this.protocol, line);
    if (!reading || reading.kind === "tare") return;
    if (this.tarePending && reading.stable && reading.milli !== null) {
      this.tareMilli = reading.milli;
      this.tarePending = false;
    }
    const net = reading.milli === null ? null : reading.milli - this.tareMilli;
    this.onReading({stable: reading.stable, milli: net});
  }

  async send(command) {
    const writer = this.port.writable.getWriter();
    try {
      await writer.write(new TextEncoder().encode(command));
    } finally {
      writer.releaseLock();
    }
  }

  async read() {
    // An on-request scale weighs when asked; a continuous one has already said it.
    if (this.settings.request) await this.send(this.settings.request);
  }

  async tare() {
    if (this.settings.tare) {
      await this.send(this.settings.tare);
      await this.read();
    } else {
      this.tarePending = true;  // taken from the next stable reading: the bowl may still be swinging
    }
  }

  async close() {
    try {
      if (this.reader) await this.reader.cancel();
      if (this.port) await this.port.close();
    } catch {
      // already gone: the cable was pulled
    }
    this.port = null;
  }
}
