"""The public verification page `/c/<number>`: anyone, no login, sees a certificate's live status.

It shows only what a shopper needs: status, validity, the household's public name and village,
scope and standard. Never phone, ID, disadvantaged flags or the head of household's name.
"""
from flask import Blueprint, render_template

from certificates import certification
from certificates.models import Certificate, CertificatePlot, CertificateProduct
from core.models import Plot, Product

bp = Blueprint("verify", __name__)


def find_certificate(number):
    """The certificate a typed or scanned number means, or None."""
    return Certificate.get_or_none(Certificate.number == certification.normalise_number(number))


@bp.route("/c/<path:number>")
def verify(number):
    certificate = find_certificate(number)
    if certificate is None:
        return render_template("certificates/verify_missing.html", number=number[:40]), 404
    products = (
        Product.select().join(CertificateProduct)
        .where(CertificateProduct.certificate == certificate).order_by(Product.name_th)
    )
    plots = Plot.select().join(CertificatePlot).where(CertificatePlot.certificate == certificate).order_by(Plot.name)
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        status=certification.effective_status(certificate),
        household=certificate.household,
        products=products,
        plots=plots,
    )
