"""The register the network of markets reads: certified and in-conversion households, public data only.

One table (header and rows) rendered as CSV, XLSX and JSON by the same function, so the three
never disagree. Only what a verification page already shows goes in: the public name, the
village, the standard and its version, the scope, the status, the dates, the certificate number
and its /c/ address; never a person's name, phone or national ID.
"""
import datetime

from flask_babel import gettext as _

from certificates import inputs, records, standards
from certificates.certification import effective_status, today
from certificates.models import Certificate, CertificateProduct
from core.i18n import format_date, local_name
from core.models import CATEGORIES, Household, Product

FIELDS = ["public_name", "village_no", "standard", "standard_version", "scope", "status", "valid_until",
          "certificate_number", "certificate_url"]


def _version_number(certificate):
    decision = certificate.decision
    return decision.inspection.version.number if decision is not None else None


def register(base_url, on=None):
    """The register's entries as dicts (FIELDS), certified households first, then those in conversion."""
    on = on or today()
    base_url = base_url.rstrip("/")
    certified, converting = [], []
    growers = Household.select().where(Household.grower_status.in_(["applicant", "active"])).order_by(Household.code)
    for household in growers:
        active = [c for c in Certificate.select().where(Certificate.household == household).order_by(Certificate.number)
                  if effective_status(c, on) == "active"]
        for certificate in active:
            scope = (Product.select().join(CertificateProduct)
                     .where(CertificateProduct.certificate == certificate).order_by(Product.name_th))
            certified.append({
                "public_name": household.public_name, "village_no": household.village_no,
                "standard": certificate.standard.code, "standard_version": _version_number(certificate),
                "scope": ", ".join(local_name(p) for p in scope), "status": "certified",
                "valid_until": certificate.valid_until.isoformat(), "certificate_number": certificate.number,
                "certificate_url": f"{base_url}/c/{certificate.number}",
            })
        if active:
            continue
        running = [c for c in (records.running_conversion(household, category, on) for category in CATEGORIES
                               if category != "handicraft") if c is not None]
        if running:
            standard = inputs.standard_for(household)
            version = standards.current_version(standard) if standard else None
            converting.append({
                "public_name": household.public_name, "village_no": household.village_no,
                "standard": standard.code if standard else "", "standard_version": version.number if version else None,
                "scope": "", "status": "in_conversion", "valid_until": min(c.ends_on for c in running).isoformat(),
                "certificate_number": "", "certificate_url": "",
            })
    return certified + converting


def table(base_url, on=None):
    """The register as (header in the reader's language, rows) for CSV and XLSX."""
    header = [_("Public name"), _("Village"), _("Standard"), _("Version"), _("Scope"), _("Status"),
              _("Valid until (or in conversion until)"), _("Certificate number"), _("Verification address")]
    words = {"certified": _("Certified organic"), "in_conversion": _("In conversion")}
    rows = [[e["public_name"], e["village_no"], e["standard"], e["standard_version"], e["scope"], words[e["status"]],
             format_date(_date(e["valid_until"])), e["certificate_number"], e["certificate_url"]]
            for e in register(base_url, on)]
    return header, rows


def _date(text):
    return datetime.date.fromisoformat(text)
