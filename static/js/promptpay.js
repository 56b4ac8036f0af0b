// PromptPay payloads in the browser, the same as market/promptpay.py, so the counter can show the
// QR for the exact amount with no network (the customer's banking app needs the network, not us).

function field(tag, value) {
  return `${tag}${String(value.length).padStart(2, "0")}${value}`;
}

export function crc16(text) {
  // CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF.
  let crc = 0xffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
}

function account(id) {
  const digits = String(id).replace(/[\s-]/g, "");
  if (/^0\d{9}$/.test(digits)) return field("01", `0066${digits.slice(1)}`);
  if (/^\d{13}$/.test(digits)) return field("02", digits);
  if (/^\d{15}$/.test(digits)) return field("03", digits);
  throw new RangeError("not a PromptPay ID");
}

export function promptPayPayload(id, satang) {
  const amount = `${Math.floor(satang / 100)}.${String(satang % 100).padStart(2, "0")}`;
  const body = field("00", "01") + field("01", "12") + field("29", field("00", "A000000677010111") + account(id))
    + field("53", "764") + field("54", amount) + field("58", "TH") + "6304";
  return body + crc16(body);
}
