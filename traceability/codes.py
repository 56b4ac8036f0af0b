"""Batch codes: short, typeable, unguessable, and self-checking.

A code is 7 random symbols and a check symbol from an alphabet without look-alikes (no 0/O,
1/I/L, and no U, which reads as V), shown as ABCD-EFGH. The check symbol (Luhn mod 30) catches
every single mistyped symbol and nearly every swap of two neighbours, so a cashier or a shopper
is told "mistyped" rather than "not found". 30**7 (about 2 × 10**10) possible codes for a few
thousand batches a year: nobody finds another batch by counting.
"""
import re
import secrets
from urllib.parse import urlsplit

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 7
CODE_LENGTH = BODY_LENGTH + 1
MAX_SCAN_LENGTH = 300  # a scanner or a paste longer than this is not one of our labels
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SEPARATORS = re.compile(r"[\s\-_.·]+")


class MistypedCode(ValueError):
    """Text that cannot be a batch code: wrong length, a symbol codes never use, or a failed check."""


def check_symbol(body):
    """The Luhn mod 30 check symbol for a code body."""
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        factor = 3 - factor
    return ALPHABET[-total % len(ALPHABET)]


def new_code():
    """A fresh random code with its check symbol (uniqueness is the database's job)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def format_code(code):
    """The code as printed for people: ABCD-EFGH."""
    return f"{code[:4]}-{code[4:]}"


def parse_code(text):
    """The canonical code in typed `text` (any case, with dashes or spaces, Thai digits); else MistypedCode."""
    code = _SEPARATORS.sub("", str(text).translate(_THAI_DIGITS)).upper()
    if len(code) != CODE_LENGTH or any(symbol not in _VALUE for symbol in code):
        raise MistypedCode(code)
    if check_symbol(code[:-1]) != code[-1]:
        raise MistypedCode(code)
    return code


def code_from_scan(text, base_url):
    """The code in what a scanner typed: a label's full /b/<code> URL or the bare code.

    A URL must be one of this market's (the host of `base_url`); anything else is refused as
    not ours, so a label from another site never adds a line to a sale.
    """
    text = str(text).strip()
    if len(text) > MAX_SCAN_LENGTH:
        raise MistypedCode(text[:20])
    if "/" not in text:
        return parse_code(text)
    try:
        url = urlsplit(text if "://" in text else f"//{text}")
        host = url.hostname
    except ValueError:  # "[/" and the like: not a URL at all
        raise MistypedCode(text[:20]) from None
    ours = urlsplit(base_url)
    if host and ours.hostname and host.lower() != ours.hostname.lower():
        raise MistypedCode(text[:20])
    match = re.search(r"/b/([^/?#]+)/?$", url.path)
    if not match:
        raise MistypedCode(text[:20])
    return parse_code(match.group(1))
