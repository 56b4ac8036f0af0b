"""PromptPay QR payloads: the EMVCo merchant-presented format that Thai banking apps read.

A payload is a list of tag-length-value fields: format indicator, point of initiation (11
static, 12 with an amount), the PromptPay merchant account (AID A000000677010111 with a mobile
number, national or tax ID, or e-wallet ID), currency 764 (baht), the amount, country TH, and
a CRC-16/CCITT-FALSE over everything before it. Pure functions: no Flask, no database.
"""
import re

PROMPTPAY_AID = "A000000677010111"
CURRENCY_BAHT = "764"
MAX_AMOUNT_SATANG = 999_999_999  # ฿9,999,999.99: the amount field holds at most 13 characters


class InvalidPromptPayId(ValueError):
    """Not a PromptPay mobile number, national or tax ID, or e-wallet ID."""


class InvalidAmount(ValueError):
    """An amount a PromptPay QR cannot carry."""


def crc16_ccitt_false(data):
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _field(tag, value):
    return f"{tag}{len(value):02d}{value}"


def _account(promptpay_id):
    """The merchant-account sub-field for an ID: 01 mobile (as 0066...), 02 national/tax ID, 03 e-wallet."""
    digits = re.sub(r"[\s\-]", "", str(promptpay_id))
    if not digits.isdigit():
        raise InvalidPromptPayId("A PromptPay ID has only digits (dashes and spaces are ignored).")
    if len(digits) == 10 and digits.startswith("0"):
        return _field("01", "0066" + digits[1:])
    if len(digits) == 13:
        return _field("02", digits)
    if len(digits) == 15:
        return _field("03", digits)
    raise InvalidPromptPayId(
        "A PromptPay ID is a 10-digit mobile number, a 13-digit national or tax ID, or a 15-digit e-wallet ID.")


def payload(promptpay_id, amount_satang=None):
    """The QR payload paying `amount_satang` (integer satang) to `promptpay_id`; no amount: a static QR."""
    fields = [_field("00", "01"), _field("01", "11" if amount_satang is None else "12"),
              _field("29", _field("00", PROMPTPAY_AID) + _account(promptpay_id)),
              _field("53", CURRENCY_BAHT)]
    if amount_satang is not None:
        if isinstance(amount_satang, bool) or not isinstance(amount_satang, int):
            raise InvalidAmount("The amount must be a whole number of satang.")
        if not 0 < amount_satang <= MAX_AMOUNT_SATANG:
            raise InvalidAmount("The amount must be more than ฿0 and at most ฿9,999,999.99.")
        fields.append(_field("54", f"{amount_satang // 100}.{amount_satang % 100:02d}"))
    fields.append(_field("58", "TH"))
    body = "".join(fields) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"
