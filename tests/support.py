"""Constants and helpers the test modules share (fixtures live in conftest.py)."""
import datetime
import functools
import importlib
import os
import re

import pypdfium2
import zxingcpp
from PIL import Image

from core import accounts
from core import models as core_models
from core.db import db
from core.qr import QUIET_ZONE, qr_matrix
from greenmarket import DOMAINS

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"
QR_DPI = 300  # a good phone photo of a printed page, and a label printer's resolution
# The council sample sheets, copied from ../shared/samples so that the suite runs from any clone.
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")

# PGS peers as inspections name them: each from a grower household of their own.
PEER_HOUSEHOLDS = (("KH-09-901", "เพ็ญศรี ดวงดี"), ("KH-09-902", "ประยูร ทองมา"), ("KH-09-903", "สุนีย์ รักษ์ดิน"))


def pgs_peers():
    """Three peer inspectors from three different households (made on first use), as the PGS rule of three
    asks; a peer named without a household does not count."""
    from core import households
    from core.models import Household

    peers = []
    for code, name in PEER_HOUSEHOLDS:
        household = Household.get_or_none(Household.code == code) or households.create_household(
            {"code": code, "head_name": name, "village_no": "9", "grower_status": "active", "pledge_date": "2024-06-01"}, None)
        peers.append({"name": name, "household_id": household.id})
    return peers


def peer_form_fields():
    """The inspection form's peer fields (name and household of each of three peers)."""
    fields = {}
    for number, peer in enumerate(pgs_peers(), start=1):
        fields[f"inspector_name_{number}"] = peer["name"]
        fields[f"inspector_household_{number}"] = str(peer["household_id"])
    return fields




def days_ago(days):
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


# --- Accounts for the role matrices (tests/test_access.py and tests/test_access_api.py) --------


@functools.cache
def password_hash():
    return accounts.hash_password(PASSWORD)


def staff(role, username, **extra):
    """An account made directly, sharing one argon2 hash, so the matrices stay quick.

    A grower needs `household=`; the matrices give it the household whose records they test, so
    a refusal proves that a grower reaches no staff page, not even about its own household.
    """
    return core_models.User.create(username=username, role=role, password_hash=password_hash(), **extra)


def sign_in(client, user):
    """Start a browser session for `user` as the sign-in form does (the form itself is tested apart)."""
    with client.session_transaction() as session:
        session["user_id"] = user.id


def bearer(user):
    return {"Authorization": f"Bearer {accounts.create_token(user)}"}


def matrix_roles(roles):
    """The matrix's columns, checked against the app's roles: a new role must get a column, loudly."""
    missing = set(core_models.ROLES) - set(roles)
    assert not missing, f"roles without a column in the access matrix: {sorted(missing)}"
    return roles


def all_models():
    """Every table of core and of each domain package, in dependency order."""
    tables = list(core_models.MODELS)
    for name in DOMAINS:
        tables += importlib.import_module(f"{name}.models").MODELS
    return tables


def database_rows():
    """Every row of every table, to prove that a refused request changed nothing.

    Rows are compared as the database returns them; each table's SELECT is built once per
    dialect (peewee building the same SQL anew cost the fuzz test half its time).
    """
    dialect = type(db.obj)
    return {t.__name__: db.execute_sql(_select_every_row(dialect, t)).fetchall() for t in all_models()}


@functools.cache
def _select_every_row(dialect, table):
    """SELECT every row of `table` in primary-key order, as SQL text for the bound database's `dialect`."""
    query, params = table.select().order_by(table._meta.primary_key).sql()
    assert not params
    return query


def qr_picture(text, scale):
    """A QR code of `text` drawn from the server's own matrix, `scale` pixels a module, with its quiet zone."""
    matrix = qr_matrix(text)
    side = len(matrix) + 2 * QUIET_ZONE
    image = Image.new("L", (side, side), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + QUIET_ZONE, y + QUIET_ZONE), 0)
    return image.resize((side * scale, side * scale), Image.NEAREST)


# --- PDFs as a reader sees them ---------------------------------------------------------------


def render(pdf, dpi=QR_DPI):
    """Every page as an image, at the resolution of a good phone photo of a printed page."""
    return [page.render(scale=dpi / 72).to_pil() for page in pypdfium2.PdfDocument(pdf)]


def qr_texts(pdf):
    """What every QR code on every page of the PDF decodes to."""
    return [result.text for image in render(pdf) for result in zxingcpp.read_barcodes(image)]


def page_texts(pdf):
    return [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf)]


def pdf_text(pdf):
    return "\n".join(page_texts(pdf))


# HarfBuzz places some tone marks and upper vowels with positioned glyph variants that have no
# Unicode value of their own; ReportLab then gives them private-use code points (U+E000 on,
# numbered per document, so they cannot be mapped back), and pdfium splits ำ into ํ + า and may
# add a space where a mark sits. So Thai is compared on its skeleton: base letters and
# following vowels, without marks, private-use characters or spaces. Numbers, codes and URLs
# are plain ASCII and are compared exactly.
_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ue000-\uf8ff\\s]")


def skeleton(text):
    """Thai text without tone marks, upper and lower vowels, private-use glyphs or spaces."""
    return _MARKS.sub("", text.replace("\u0e33", "\u0e32"))


def contains(text, expected):
    return skeleton(expected) in skeleton(text)


class AnswerCheck:
    """Hold every /api/v1 JSON answer a test receives against the schema the OpenAPI document states
    for its path, method and status, so a documented answer cannot drift from the real one."""

    def __init__(self, app):
        self.app, self.spec, self.mismatches = app, None, []
        app.after_request(self.check)

    def operation(self, request):
        """The documented operation of a request (None when the path is not an API route)."""
        rule = request.url_rule.rule if request.url_rule else ""
        if not rule.startswith("/api/v1/"):
            return None
        if self.spec is None:
            from core.openapi import openapi_document

            self.spec = openapi_document(self.app)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule[len("/api/v1"):])
        return self.spec["paths"].get(path, {}).get(request.method.lower())

    def check(self, response):
        from flask import request
        from openapi_schema_validator import OAS30Validator

        operation = self.operation(request)
        if operation is None or response.status_code >= 500:
            return response
        documented = operation["responses"].get(str(response.status_code))
        where = f"{request.method} {request.path} {response.status_code}"
        if documented is None:
            if response.status_code < 400:
                self.mismatches.append(f"{where}: status not documented")
            return response
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if schema is None or response.mimetype != "application/json":
            return response
        validator = OAS30Validator({**schema, "components": self.spec["components"]})
        self.mismatches += [f"{where}: {error.json_path}: {error.message}"
                            for error in validator.iter_errors(response.get_json())]
        return response
