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


def _runs(matrix):
    """PDF rectangle operators, one per run of dark modules in a row, in module units from the bottom left."""
    size = len(matrix)
    operators = []
    for row_index, row in enumerate(matrix):
        y = size - 1 - row_index
        column = 0
        while column < size:
            if row[column]:
                start = column
                while column < size and row[column]:
                    column += 1
                operators.append(f"{start} {y} {column - start} 1 re")
            else:
                column += 1
    return "\n".join(operators)


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
    canvas.addLiteral(_runs(matrix) + "\nf")
    canvas.restoreState()
