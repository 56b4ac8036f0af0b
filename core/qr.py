"""QR codes drawn as vector squares, so labels and certificates print crisp at any size."""
import functools

import qrcode
import qrcode.base
import qrcode.exceptions
import qrcode.util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white margin the QR standard asks for around the code


@functools.lru_cache(maxsize=256)
def qr_matrix(data, error_correction=ERROR_CORRECT_M, mask_pattern=None):
    """The QR code for `data` as rows of booleans (True = dark), without the quiet zone.

    A fixed `mask_pattern` (0-7) skips trying all eight masks, about six times faster; every
    mask is valid and decoders read it from the code, so label sheets use one.
    """
    code = qrcode.QRCode(error_correction=error_correction, border=0, mask_pattern=mask_pattern)
    code.add_data(data)
    code.version = _fitting_version(tuple((chunk.mode, len(chunk.data)) for chunk in code.data_list), error_correction)
    code.data_cache = _codewords(code.version, error_correction, code.data_list)
    code.make(fit=False)
    return tuple(tuple(row) for row in code.get_matrix())


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


def _reed_solomon(data, ec_count):
    """The `ec_count` error-correction codewords of one block of data codewords."""
    exp, log = qrcode.base.EXP_TABLE, qrcode.base.LOG_TABLE
    generator = _generator_logs(ec_count)
    remainder = [0] * ec_count
    for byte in data:
        factor = byte ^ remainder[0]
        remainder = remainder[1:] + [0]
        if factor:
            factor_log = log[factor]
            remainder = [value ^ exp[(factor_log + g) % 255] for value, g in zip(remainder, generator)]
    return remainder


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


def dark_runs(matrix):
    """Each run of dark modules in a row, as (row, first column, length), rows from the top."""
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                yield row_index, start, column - start
            else:
                column += 1


def draw_qr(canvas, x, y, size, data, mask_pattern=None):
    """Draw the QR for `data` with its lower-left corner at (x, y), `size` points wide with the quiet zone.

    Each run of dark modules in a row becomes one rectangle of a single filled path, written in
    whole module units under one scaling: small files, no raster image, the printer's full
    resolution, and fast enough for a thousand labels.
    """
    matrix = qr_matrix(data, mask_pattern=mask_pattern)
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(module, 0, 0, module, x + QUIET_ZONE * module, y + QUIET_ZONE * module)
    bottom = len(matrix) - 1
    rectangles = "\n".join(f"{start} {bottom - row} {length} 1 re" for row, start, length in dark_runs(matrix))
    canvas.addLiteral(rectangles + "\nf")
    canvas.restoreState()


def qr_svg(data, mask_pattern=None):
    """The QR for `data` as an SVG element, for showing on screen (receipts, the PromptPay QR).

    One path of whole-module squares in a viewBox with the quiet zone; the browser scales it
    without blurring (crispEdges).
    """
    matrix = qr_matrix(data, mask_pattern=mask_pattern)
    side = len(matrix) + 2 * QUIET_ZONE
    squares = "".join(f"M{start + QUIET_ZONE} {row + QUIET_ZONE}h{length}v1h-{length}z"
                      for row, start, length in dark_runs(matrix))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges" '
            f'role="img"><rect width="{side}" height="{side}" fill="#fff"/><path d="{squares}" fill="#000"/></svg>')
