"""The receipt's public page `/r/<token>`: what was bought, each with its trace link. No login.

The token is random and printed only on the receipt, so the page shows nothing about who paid
or which cashier sold; never personal data.
"""
from flask import Blueprint, render_template

from core.models import UNITS
from market.models import Sale, SaleLine
from traceability import codes
from traceability.models import Batch

bp = Blueprint("receipt", __name__)


@bp.route("/r/<token>")
def purchase(token):
    sale = Sale.get_or_none(Sale.receipt_token == token[:40])
    if sale is None:
        return render_template("market/purchase_missing.html"), 404
    lines = SaleLine.select(SaleLine, Batch).join(Batch).where(SaleLine.sale == sale).order_by(SaleLine.id)
    return render_template("market/purchase.html", sale=sale, lines=lines, units=UNITS, format_code=codes.format_code)
