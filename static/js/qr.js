// QR codes made in the browser, so the counter can show a PromptPay QR with no network.
//
// Written from the QR code standard (ISO/IEC 18004) for what the POS needs and no more: byte
// mode, error correction level M, versions 1 to 6 (up to 106 bytes; a PromptPay payload is
// under 100), one fixed mask (any of the eight is valid; decoders read it from the code). The
// server draws the same codes with the qrcode package; a test compares the two module by module.

const VERSIONS = [
  null,
  {blocks: 1, data: 16, ec: 10, align: []},
  {blocks: 1, data: 28, ec: 16, align: [6, 18]},
  {blocks: 1, data: 44, ec: 26, align: [6, 22]},
  {blocks: 2, data: 32, ec: 18, align: [6, 26]},
  {blocks: 2, data: 43, ec: 24, align: [6, 30]},
  {blocks: 4, data: 27, ec: 16, align: [6, 34]},
];
const MASK = 2;  // the same fixed mask as the labels (core/qr.py)
const EC_LEVEL_M = 0;  // format-information bits for level M

// Arithmetic in GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Array(512);
const LOG = new Array(256);
for (let value = 1, power = 0; power < 255; power += 1) {
  EXP[power] = value;
  LOG[value] = power;
  value <<= 1;
  if (value & 0x100) value ^= 0x11d;
}
for (let power = 255; power < 512; power += 1) EXP[power] = EXP[power - 255];

function multiply(a, b) {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

function errorCorrection(data, degree) {
  // Reed-Solomon: the remainder of data(x) * x^degree divided by the generator polynomial.
  let generator = [1];
  for (let root = 0; root < degree; root += 1) {
    const next = new Array(generator.length + 1).fill(0);
    generator.forEach((coefficient, index) => {
      next[index] ^= coefficient;
      next[index + 1] ^= multiply(coefficient, EXP[root]);
    });
    generator = next;
  }
  const remainder = new Array(degree).fill(0);
  for (const byte of data) {
    const factor = byte ^ remainder.shift();
    remainder.push(0);
    for (let index = 0; index < degree; index += 1) remainder[index] ^= multiply(generator[index + 1], factor);
  }
  return remainder;
}

function codewords(bytes) {
  const version = VERSIONS.findIndex((entry) => entry && bytes.length + 2 <= entry.blocks * entry.data);
  if (version < 1) throw new RangeError("too long for a version 1-6 QR code");
  const {blocks, data, ec} = VERSIONS[version];
  const bits = [];
  const put = (value, length) => { for (let bit = length - 1; bit >= 0; bit -= 1) bits.push((value >>> bit) & 1); };
  put(0b0100, 4);  // byte mode
  put(bytes.length, 8);
  bytes.forEach((byte) => put(byte, 8));
  const capacity = blocks * data * 8;
  put(0, Math.min(4, capacity - bits.length));
  while (bits.length % 8) bits.push(0);
  const stream = [];
  for (let index = 0; index < bits.length; index += 8) stream.push(parseInt(bits.slice(index, index + 8).join(""), 2));
  for (let pad = 0; stream.length < blocks * data; pad += 1) stream.push(pad % 2 ? 0x11 : 0xec);
  const dataBlocks = [];
  for (let block = 0; block < blocks; block += 1) dataBlocks.push(stream.slice(block * data, (block + 1) * data));
  const ecBlocks = dataBlocks.map((block) => errorCorrection(block, ec));
  const result = [];
  for (let index = 0; index < data; index += 1) dataBlocks.forEach((block) => result.push(block[index]));
  for (let index = 0; index < ec; index += 1) ecBlocks.forEach((block) => result.push(block[index]));
  return {version, codewords: result};
}

function formatBits(mask) {
  const data = (EC_LEVEL_M << 3) | mask;
  let remainder = data;
  for (let step = 0; step < 10; step += 1) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
  return ((data << 10) | remainder) ^ 0x5412;
}

function isMasked(row, column) {
  return [
    (row + column) % 2 === 0, row % 2 === 0, column % 3 === 0, (row + column) % 3 === 0,
    (Math.floor(row / 2) + Math.floor(column / 3)) % 2 === 0, ((row * column) % 2) + ((row * column) % 3) === 0,
    (((row * column) % 2) + ((row * column) % 3)) % 2 === 0, (((row + column) % 2) + ((row * column) % 3)) % 2 === 0,
  ][MASK];
}

export function qrMatrix(text) {
  // Rows of booleans (true = dark), without the quiet zone, as core/qr.py's qr_matrix.
  const {version, codewords: words} = codewords([...new TextEncoder().encode(text)]);
  const size = 17 + 4 * version;
  const dark = Array.from({length: size}, () => new Array(size).fill(false));
  const reserved = Array.from({length: size}, () => new Array(size).fill(false));
  const set = (row, column, value) => { dark[row][column] = value; reserved[row][column] = true; };

  for (const [top, left] of [[0, 0], [0, size - 7], [size - 7, 0]]) {
    for (let row = -1; row <= 7; row += 1) {
      for (let column = -1; column <= 7; column += 1) {
        const r = top + row;
        const c = left + column;
        if (r < 0 || c < 0 || r >= size || c >= size) continue;
        const ring = Math.max(Math.abs(row - 3), Math.abs(column - 3));
        set(r, c, ring !== 2 && ring !== 4);
      }
    }
  }
  for (let index = 8; index < size - 8; index += 1) {
    set(6, index, index % 2 === 0);
    set(index, 6, index % 2 === 0);
  }
  const centres = VERSIONS[version].align;
  for (const row of centres) {
    for (const column of centres) {
      if ((row === 6 && column === 6) || (row === 6 && column === centres.at(-1)) || (row === centres.at(-1) && column === 6)) continue;
      for (let dr = -2; dr <= 2; dr += 1) {
        for (let dc = -2; dc <= 2; dc += 1) set(row + dr, column + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
      }
    }
  }
  const format = formatBits(MASK);
  const bit = (index) => ((format >>> index) & 1) === 1;
  for (let index = 0; index <= 5; index += 1) set(index, 8, bit(index));
  set(7, 8, bit(6));
  set(8, 8, bit(7));
  set(8, 7, bit(8));
  for (let index = 9; index < 15; index += 1) set(8, 14 - index, bit(index));
  for (let index = 0; index < 8; index += 1) set(8, size - 1 - index, bit(index));
  for (let index = 8; index < 15; index += 1) set(size - 15 + index, 8, bit(index));
  set(size - 8, 8, true);  // the dark module

  let index = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let step = 0; step < size; step += 1) {
      const row = upward ? size - 1 - step : step;
      for (const column of [right, right - 1]) {
        if (reserved[row][column]) continue;
        const value = index < words.length * 8 ? ((words[index >>> 3] >>> (7 - (index & 7))) & 1) === 1 : false;
        dark[row][column] = value !== isMasked(row, column);
        index += 1;
      }
    }
  }
  return dark;
}

export function qrSvg(text) {
  // The code as an SVG element with a four-module quiet zone, as core/qr.py's qr_svg.
  const matrix = qrMatrix(text);
  const side = matrix.length + 8;
  const squares = [];
  matrix.forEach((row, y) => {
    for (let x = 0; x < row.length; x += 1) {
      if (!row[x]) continue;
      let end = x;
      while (end < row.length && row[end]) end += 1;
      squares.push(`M${x + 4} ${y + 4}h${end - x}v1h-${end - x}z`);
      x = end;
    }
  });
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${side} ${side}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  background.setAttribute("width", side);
  background.setAttribute("height", side);
  background.setAttribute("fill", "#fff");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", squares.join(""));
  path.setAttribute("fill", "#000");
  svg.append(background, path);
  return svg;
}
