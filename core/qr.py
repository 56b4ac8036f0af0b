"""QR codes drawn as vector squares, so labels and certificates print crisp at any size."""
import functools

import qrcode
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
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def draw_qr(canvas, x, y, size, data, mask_pattern=None):
    """Draw the QR for `data` with its lower-left corner at (x, y), `size` points wide with the quiet zone.

    Each run of dark modules in a row becomes one rectangle in a single path: small files,
    no raster image, and the printer's full resolution.
    """
    matrix = qr_matrix(data, mask_pattern=mask_pattern)
    modules = len(matrix) + 2 * QUIET_ZONE
    module = size / modules
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + QUIET_ZONE + 1) * module
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                path.rect(x + (start + QUIET_ZONE) * module, top, (column - start) * module, module)
            else:
                column += 1
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
