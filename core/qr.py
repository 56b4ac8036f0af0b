"""QR codes drawn as vector squares, so labels and certificates print crisp at any size."""
import functools

import qrcode
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
    code.make(fit=False)
    return tuple(tuple(row) for row in code.get_matrix())


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
