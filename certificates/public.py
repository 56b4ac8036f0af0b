"""The public verification page `/c/<number>`: anyone, no login, sees a certificate's live status.

It shows only what a shopper needs: status, validity, the household's public name and village,
scope and standard. Never phone, ID, disadvantaged flags or the head of household's name.
"""
from flask import Blueprint, render_template

from certificates import certification
from certificates.models import Certificate, CertificatePlot, CertificateProduct, CertifyingBody, Standard
from core.models import Household, Plot, Product
from core.pages import conditional_page

bp = Blueprint("verify", __name__)


def find_certificate(number):
    """The certificate a typed or scanned number means, with its household, standard and body, or None."""
    return (
        Certificate.select(Certificate, Household, Standard, CertifyingBody)
        .join(Household).switch(Certificate).join(Standard).switch(Certificate).join(CertifyingBody)
        .where(Certificate.number == certification.normalise_number(number)).first()
    )


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
    return conditional_page(render_template(
        "certificates/verify.html",
        certificate=certificate,
        status=certification.effective_status(certificate),
        household=certificate.household,
        products=products,
        plots=plots,
    ))
