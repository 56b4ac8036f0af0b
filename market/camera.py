"""Reading a label's QR code from a camera frame on the server, for browsers without BarcodeDetector."""
import zxingcpp
from PIL import Image, UnidentifiedImageError

MAX_FRAME_PIXELS = 4096 * 4096  # a phone or tablet camera frame; anything bigger is not one


def decode_frame(stream):
    """The text of the first QR code in an image file, or None (also for a file that is no image)."""
    try:
        with Image.open(stream) as image:
            if image.width * image.height > MAX_FRAME_PIXELS:
                return None
            image.load()
            found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return found[0].text if found else None
