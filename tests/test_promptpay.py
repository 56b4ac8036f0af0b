"""PromptPay payloads against independently published examples, and the QR read back with zxing-cpp.

The examples come from other people's PromptPay generators (cited beside each). Generators put
the tags in different orders, which changes the CRC, so where the order differs the test
compares the tag-value fields and checks the example's own CRC with our CRC function.
"""
import pytest
import zxingcpp

from core.qr import qr_matrix, qr_svg
from market import promptpay

from tests.support import qr_picture

# mrwan200/promptparse-go, generator test TestGenerateAnyID (a port of maythiwat/promptparse).
PROMPTPARSE_STATIC = "00020101021129370016A0000006770101110113006681222333353037645802TH63041DCF"
# The same file, TestGenerateAnyIDIncludeAmount: 0812223333, 30 baht (tag 54 after 58 there).
PROMPTPARSE_30_BAHT = "00020101021229370016A0000006770101110113006681222333353037645802TH540530.0063043CAD"
# dtinth/promptpay-qr's reference, as quoted in other projects' tests: 089-999-9999, 420 baht.
DTINTH_420_BAHT = "00020101021229370016A000000677010111011300668999999995802TH53037645406420.006304CF9E"
# The blognone.com article that explained the format (node 95133): 000-000-0000, no amount.
BLOGNONE_STATIC = "00020101021129370016A000000677010111011300660000000005802TH530376463048956"


def fields(payload):
    """The payload's top-level tag -> value, checking every length field on the way."""
    found, cursor = {}, 0
    while cursor < len(payload):
        tag, length = payload[cursor:cursor + 2], int(payload[cursor + 2:cursor + 4])
        found[tag] = payload[cursor + 4:cursor + 4 + length]
        assert len(found[tag]) == length, (tag, payload)
        cursor += 4 + length
    return found


def test_crc_is_ccitt_false():
    """The standard check value of CRC-16/CCITT-FALSE."""
    assert promptpay.crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize("example", [PROMPTPARSE_STATIC, PROMPTPARSE_30_BAHT, DTINTH_420_BAHT, BLOGNONE_STATIC])
def test_our_crc_agrees_with_every_published_example(example):
    assert f"{promptpay.crc16_ccitt_false(example[:-4].encode()):04X}" == example[-4:]


def test_static_payload_matches_promptparse_exactly():
    assert promptpay.payload("081-222-3333") == PROMPTPARSE_STATIC


@pytest.mark.parametrize("account, satang, example", [
    ("0812223333", 3000, PROMPTPARSE_30_BAHT),
    ("089-999-9999", 42000, DTINTH_420_BAHT),
    ("000-000-0000", None, BLOGNONE_STATIC),
])
def test_payloads_carry_the_same_fields_as_published_examples(account, satang, example):
    ours, theirs = fields(promptpay.payload(account, satang)), fields(example)
    ours.pop("63"), theirs.pop("63")
    assert ours == theirs


def test_national_id_and_e_wallet_accounts():
    assert fields(promptpay.payload("1-2345-67890-12-3"))["29"] == "0016A000000677010111" + "0213" + "1234567890123"
    assert fields(promptpay.payload("123456789012345"))["29"] == "0016A000000677010111" + "0315" + "123456789012345"


@pytest.mark.parametrize("account", ["12345", "08-1234-567a", "", "1" * 16])
def test_bad_ids_are_refused(account):
    with pytest.raises(promptpay.InvalidPromptPayId):
        promptpay.payload(account)


@pytest.mark.parametrize("satang", [0, -100, promptpay.MAX_AMOUNT_SATANG + 1, 12.5, True])
def test_bad_amounts_are_refused(satang):
    with pytest.raises(promptpay.InvalidAmount):
        promptpay.payload("0812223333", satang)


def test_the_qr_decodes_back_to_the_payload():
    """The QR the POS shows, drawn from the same matrix as its SVG, reads back as the exact payload."""
    payload = promptpay.payload("0812223333", 12050)
    matrix = qr_matrix(payload)
    results = zxingcpp.read_barcodes(qr_picture(payload, 6))
    assert [result.text for result in results] == [payload]
    svg = qr_svg(payload)
    dark_modules = sum(row.count(True) for row in matrix)
    drawn = sum(int(part.split("h")[1].split("v")[0]) for part in svg.split('d="')[1].split('"')[0].split("M")[1:])
    assert drawn == dark_modules, "the SVG path covers exactly the dark modules"
