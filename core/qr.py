"""QR codes drawn as vector squares, so labels and certificates print crisp at any size."""
import functools
import re

import qrcode
import qrcode.base
import qrcode.exceptions
import qrcode.util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white margin the QR standard asks for around the code


def qr_matrix(data, error_correction=ERROR_CORRECT_M, mask_pattern=None):
    """The QR code for `data` as rows of booleans (True = dark), without the quiet zone.

    A fixed `mask_pattern` (0-7) skips trying all eight masks, about six times faster; every
    mask is valid and decoders read it from the code, so label sheets use one.
    """
    return tuple(tuple(module == "1" for module in row) for row in qr_rows(data, error_correction, mask_pattern))


@functools.lru_cache(maxsize=256)
def qr_rows(data, error_correction=ERROR_CORRECT_M, mask_pattern=None):
    """The same code as qr_matrix(), each row a string of "1" (dark) and "0": quick to scan for runs.

    With a fixed mask the data bits are laid on a template made once per shape (see `_layout`);
    without one the library tries all eight masks.
    """
    code = qrcode.QRCode(error_correction=error_correction, border=0, mask_pattern=mask_pattern)
    code.add_data(data)
    code.version = _fitting_version(tuple((chunk.mode, len(chunk.data)) for chunk in code.data_list), error_correction)
    code.data_cache = _codewords(code.version, error_correction, code.data_list)
    if mask_pattern is None:
        code.make(fit=False)
        return tuple("".join("1" if module else "0" for module in row) for row in code.get_matrix())
    template, cells = _layout(code.version, error_correction, mask_pattern)
    rows = list(template)
    stream = "".join(_BYTE_BITS[codeword] for codeword in code.data_cache)
    for (row, column_bit), bit in zip(cells, stream):
        if bit == "1":
            rows[row] ^= column_bit
    size = len(rows)
    return tuple(format(row, f"0{size}b") for row in rows)


_BYTE_BITS = tuple(format(value, "08b") for value in range(256))


@functools.lru_cache(maxsize=32)
def _layout(version, error_correction, mask_pattern):
    """A code of this shape with every data bit 0 (rows as integers, leftmost module highest), and
    the data cells in the order the bit stream fills them, each as (row, its column's bit).

    A data bit of 1 flips its cell from the template's value (the mask's), so a code is the
    template with one XOR per set bit: the library's placement asks the mask function for
    every cell of every code instead.
    """
    size = version * 4 + 17
    blank = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    blank.map_data = lambda data, mask: None  # leave the data cells empty (None) to find them
    blank.makeImpl(False, mask_pattern)
    free = blank.modules
    zero = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    zero.data_cache = [0] * sum(block.total_count for block in qrcode.base.rs_blocks(version, error_correction))
    zero.makeImpl(False, mask_pattern)
    template = tuple(int("".join("1" if module else "0" for module in row), 2) for row in zero.modules)
    cells, upward = [], True
    # Two-column strips from the right edge, alternately upwards and downwards, stepping over
    # the vertical timing pattern in column 6 (the QR standard's placement, as the library does it).
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for row in (range(size - 1, -1, -1) if upward else range(size)):
            for column in (right, right - 1):
                if free[row][column] is None:
                    cells.append((row, 1 << (size - 1 - column)))
        upward = not upward
    return template, tuple(cells)


def _codewords(version, error_correction, data_list):
    """The data and error-correction codewords, as qrcode's util.create_data makes them.

    The same bit stream and block layout; only the Reed-Solomon remainders are computed with
    log tables in one loop, where the library's polynomial class recurses once per byte (half the
    time of a label sheet's QR codes went there).
    """
    buffer = _Bits()
    for data in data_list:
        buffer.put(data.mode, 4)
        buffer.put(len(data), qrcode.util.length_in_bits(data.mode, version))
        data.write(buffer)
    blocks = qrcode.base.rs_blocks(version, error_correction)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    if len(buffer) > bit_limit:
        raise qrcode.exceptions.DataOverflowError(f"{len(buffer)} bits do not fit in {bit_limit}")
    for _ in range(min(bit_limit - len(buffer), 4)):
        buffer.put_bit(False)
    if len(buffer) % 8:
        for _ in range(8 - len(buffer) % 8):
            buffer.put_bit(False)
    for index in range((bit_limit - len(buffer)) // 8):
        buffer.put(qrcode.util.PAD1 if index % 2 else qrcode.util.PAD0, 8)

    codewords = buffer.value.to_bytes(len(buffer) // 8, "big")
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data = list(codewords[offset:offset + block.data_count])
        offset += block.data_count
        data_blocks.append(data)
        ec_blocks.append(_reed_solomon(data, block.total_count - block.data_count))
    return [block[i] for i in range(max(map(len, data_blocks))) for block in data_blocks if i < len(block)] + \
        [block[i] for i in range(max(map(len, ec_blocks))) for block in ec_blocks if i < len(block)]


class _Bits:
    """A bit stream kept as one integer: what qrcode's BitBuffer does, without a list append per bit."""

    def __init__(self):
        self.value, self.length = 0, 0

    def put(self, number, length):
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def put_bit(self, bit):
        self.put(1 if bit else 0, 1)

    def __len__(self):
        return self.length


@functools.lru_cache(maxsize=32)
def _generator_logs(ec_count):
    """The logs of the Reed-Solomon generator polynomial's coefficients after the leading 1."""
    generator = [1]
    for power in range(ec_count):
        root = qrcode.base.gexp(power)
        generator = [a ^ (_multiply(b, root) if b else 0) for a, b in zip(generator + [0], [0] + generator)]
    return tuple(qrcode.base.glog(coefficient) for coefficient in generator[1:])


def _multiply(a, b):
    return qrcode.base.gexp(qrcode.base.glog(a) + qrcode.base.glog(b)) if a and b else 0


@functools.lru_cache(maxsize=32)
def _generator_multiples(ec_count):
    """The generator polynomial (after its leading 1) times each byte 0-255, its coefficients packed
    into one integer a byte each, so a step of the division is a shift and one XOR."""
    exp, log = qrcode.base.EXP_TABLE, qrcode.base.LOG_TABLE
    generator = _generator_logs(ec_count)
    return (0,) + tuple(int.from_bytes(bytes(exp[(log[factor] + g) % 255] for g in generator), "big")
                        for factor in range(1, 256))


def _reed_solomon(data, ec_count):
    """The `ec_count` error-correction codewords of one block of data codewords.

    The remainder of the polynomial division is kept as one integer of `ec_count` bytes.
    """
    multiples = _generator_multiples(ec_count)
    top, keep = 8 * (ec_count - 1), (1 << (8 * ec_count)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & keep) ^ multiples[byte ^ (remainder >> top)]
    return list(remainder.to_bytes(ec_count, "big"))


@functools.lru_cache(maxsize=64)
def _fitting_version(chunks, error_correction):
    """The smallest QR version that holds data of this shape (modes and lengths of its chunks).

    Finding it writes the whole bit stream once more; every label of a sheet has the same shape
    (one base URL, one code length), so it is found once instead of a thousand times.
    """
    code = qrcode.QRCode(error_correction=error_correction, border=0)
    for mode, length in chunks:
        code.add_data(qrcode.util.QRData(b"0" * length if mode == qrcode.util.MODE_NUMBER else b"A" * length, mode=mode,
                                         check_data=False))
    return code.best_fit()


_DARK_RUN = re.compile("1+")


def dark_runs(rows):
    """Each run of dark modules in a row of qr_rows(), as (row, first column, length), rows from the top."""
    for row_index, row in enumerate(rows):
        for run in _DARK_RUN.finditer(row):
            yield row_index, run.start(), run.end() - run.start()


@functools.lru_cache(maxsize=8192)
def _row_rectangles(row):
    """A row's rectangles as text around the places of its y, so `str(y).join()` writes them.

    About half the rows of a thousand different codes recur (finder patterns, timing, quiet
    stretches); a row seen before costs one join instead of a regex match and an f-string per run.
    """
    runs = [(run.start(), run.end() - run.start()) for run in _DARK_RUN.finditer(row)]
    if not runs:
        return ()
    pieces = [f"{runs[0][0]} "]
    pieces += [f" {length} 1 re\n{following} " for (_start, length), (following, _length) in zip(runs, runs[1:])]
    return (*pieces, f" {runs[-1][1]} 1 re")


def draw_qr(canvas, x, y, size, data, mask_pattern=None):
    """Draw the QR for `data` with its lower-left corner at (x, y), `size` points wide with the quiet zone.

    Each run of dark modules in a row becomes one rectangle of a single filled path, written in
    whole module units under one scaling: small files, no raster image, the printer's full
    resolution, and fast enough for a thousand labels.
    """
    matrix = qr_rows(data, mask_pattern=mask_pattern)
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(module, 0, 0, module, x + QUIET_ZONE * module, y + QUIET_ZONE * module)
    bottom = len(matrix) - 1
    rectangles = "\n".join(str(bottom - index).join(pieces)
                            for index, pieces in enumerate(map(_row_rectangles, matrix)) if pieces)
    canvas.addLiteral(rectangles + "\nf")
    canvas.restoreState()


def qr_svg(data, mask_pattern=None):
    """The QR for `data` as an SVG element, for showing on screen (receipts, the PromptPay QR).

    One path of whole-module squares in a viewBox with the quiet zone; the browser scales it
    without blurring (crispEdges).
    """
    matrix = qr_rows(data, mask_pattern=mask_pattern)
    side = len(matrix) + 2 * QUIET_ZONE
    squares = "".join(f"M{start + QUIET_ZONE} {row + QUIET_ZONE}h{length}v1h-{length}z"
                      for row, start, length in dark_runs(matrix))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges" '
            f'role="img"><rect width="{side}" height="{side}" fill="#fff"/><path d="{squares}" fill="#000"/></svg>')
