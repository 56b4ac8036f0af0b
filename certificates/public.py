"""The public verification page `/c/<number>`: anyone, no login, sees a certificate's live status.

It shows only what a shopper needs: status, validity, the household's public name and village,
scope and standard. Never phone, ID, disadvantaged flags or the head of household's name.
"""
from flask import Blueprint, render_template

from certificates import certification
from certificates.models import Certificate, CertificatePlot, CertificateProduct, CertifyingBody, Standard
from core.db import Prepared
from core.models import Household, Plot, Product
from core.pages import RenderedPages

bp = Blueprint("verify", __name__)

CERTIFICATE_PAGES = RenderedPages()


class UnknownCertificate(LookupError):
    """No certificate has the number asked for."""


def find_certificate(number):
    """The certificate a typed or scanned number means, with its household, standard and body, or None."""
    return (
        Certificate.select(Certificate, Household, Standard, CertifyingBody)
        .join(Household).switch(Certificate).join(Standard).switch(Certificate).join(CertifyingBody)
        .where(Certificate.number == certification.normalise_number(number)).first()
    )


_CERTIFICATE_ROWS = Prepared(lambda number: (
    Certificate.select(Certificate, Household.display_name, Household.code, Household.village_no, Standard, CertifyingBody)
    .join(Household).switch(Certificate).join(Standard).switch(Certificate).join(CertifyingBody)
    .where(Certificate.number == number).limit(1)))
_PRODUCT_ROWS = Prepared(lambda certificate_id: (
    Product.select().join(CertificateProduct).where(CertificateProduct.certificate == certificate_id)))
_PLOT_ROWS = Prepared(lambda certificate_id: (
    Plot.select(Plot.id, Plot.name, Plot.area_m2).join(CertificatePlot).where(CertificatePlot.certificate == certificate_id)))


def certificate_fingerprint(number):
    """The raw rows the page of a certificate number is made from, to key the rendered page; UnknownCertificate if none."""
    found = _CERTIFICATE_ROWS.values(certification.normalise_number(number))
    if not found:
        raise UnknownCertificate(number)
    certificate_id = found[0][0]
    return found[0], tuple(_PRODUCT_ROWS.values(certificate_id)), tuple(_PLOT_ROWS.values(certificate_id))


@bp.route("/c/<path:number>")
def verify(number):
    try:
        return CERTIFICATE_PAGES.answer(lambda: certificate_fingerprint(number), lambda: _render(number))
    except UnknownCertificate:
        return render_template("certificates/verify_missing.html", number=number[:40]), 404


def _render(number):
    """The page of a certificate; its status follows from its own row and the date, so it may be kept."""
    certificate = find_certificate(number)
    if certificate is None:
        raise UnknownCertificate(number)
    products = (
        Product.select().join(CertificateProduct)
        .where(CertificateProduct.certificate == certificate).order_by(Product.name_th)
    )
    plots = Plot.select().join(CertificatePlot).where(CertificatePlot.certificate == certificate).order_by(Plot.name)
    html = render_template(
        "certificates/verify.html",
        certificate=certificate,
        status=certification.effective_status(certificate),
        household=certificate.household,
        products=products,
        plots=plots,
    )
    return html, True
