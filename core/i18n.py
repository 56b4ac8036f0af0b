"""Language choice and the one place that formats money, dates and land area for people.

Thai is the default. Thai dates use the Buddhist Era year (CE + 543); money is integer satang
shown as ฿ with two decimals; area is square metres shown as ไร่-งาน-ตารางวา.
"""
import datetime
import os
import re
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from core.models import UNITS
from core.validation import local_today

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
LANGUAGE_COOKIE = "lang"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")

SQUARE_METRES_PER_WA = Decimal(4)  # 1 ตารางวา = 4 m²
WA_PER_NGAN = 100  # 1 งาน = 100 ตารางวา
WA_PER_RAI = 400  # 1 ไร่ = 4 งาน = 400 ตารางวา

babel = Babel()


def select_language():
    """Use the language the person chose (a cookie); else, for a visitor who is not signed in (a
    shopper's phone on a first visit), the phone's own language (Accept-Language); else Thai.

    Staff pages stay Thai until the person chooses: the market's tablets are shared.
    """
    if has_request_context():
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return chosen
        if "user_id" not in session:
            return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def current_language():
    return str(get_locale() or DEFAULT_LANGUAGE)


def _catalogs(source, target):
    """(language, .po path, .mo path) of each language with a catalogue under `source`, compiled into `target`."""
    for language in LANGUAGES:
        po_path = os.path.join(source, language, "LC_MESSAGES", "messages.po")
        if os.path.exists(po_path):
            yield language, po_path, os.path.join(target, language, "LC_MESSAGES", "messages.mo")


def _stale(po_path, mo_path):
    return not os.path.exists(mo_path) or os.path.getmtime(mo_path) < os.path.getmtime(po_path)


def compile_catalogs(source=None, target=None):
    """Compile each messages.po under `source` to messages.mo under `target` (both translations/ unless
    given) when missing or older, as `pybabel compile` does (fuzzy entries left out); return
    {language: [problems Babel found]} for the catalogues compiled."""
    compiled = {}
    source = source or TRANSLATIONS_DIR
    for language, po_path, mo_path in _catalogs(source, target or source):
        if not _stale(po_path, mo_path):
            continue
        with open(po_path, "rb") as po_file:
            catalog = read_po(po_file, locale=language)
        compiled[language] = [f"{po_path}:{message.lineno}: {error}"
                              for message, errors in catalog.check() for error in errors]
        os.makedirs(os.path.dirname(mo_path), exist_ok=True)
        temporary = f"{mo_path}.{os.getpid()}.tmp"  # another process may be compiling the same catalogue
        with open(temporary, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(temporary, mo_path)
    return compiled


def translation_directory(instance_path):
    """Where the app reads its compiled catalogues, never writing into the source tree.

    `python run.py translations` compiles them beside the .po files; while those are up to date
    the app reads them there. Otherwise (a fresh clone, a .po changed since) it compiles its own
    copy into the instance folder, so the README's one command still serves Thai pages.
    """
    if not any(_stale(po_path, mo_path) for _language, po_path, mo_path in _catalogs(TRANSLATIONS_DIR, TRANSLATIONS_DIR)):
        return TRANSLATIONS_DIR
    target = os.path.join(instance_path, "translations")
    compile_catalogs(TRANSLATIONS_DIR, target)
    return target


def format_baht(satang):
    """Show integer satang as ฿1,234.50 (an empty string for no price)."""
    if satang is None:
        return ""
    sign = "-" if satang < 0 else ""
    baht, rest = divmod(abs(int(satang)), 100)
    return f"{sign}฿{baht:,}.{rest:02d}"


def format_quantity(milli, unit=None):
    """Show thousandths of a unit as 12.5 กก. (the unit's name in the page's language)."""
    if milli is None:
        return ""
    amount = f"{Decimal(int(milli)) / 1000:,f}"
    return f"{amount} {UNITS[unit]}" if unit in UNITS else amount


def _utc_offset():
    return datetime.timedelta(hours=current_app.config.get("UTC_OFFSET_HOURS", 7) if has_app_context() else 7)


def local_time(value):
    """A stored UTC time as the time in Thailand (UTC+7): a sale at 06:30 there is that day's."""
    return value + _utc_offset()


def start_of_local_day(day):
    """The stored (UTC) time at which `day` begins in Thailand: a harvest dated that day sorts before its sales."""
    return datetime.datetime.combine(day, datetime.time(0)) - _utc_offset()


def format_date(value):
    """Show a date as 24 พ.ย. 2569 in Thai (Buddhist Era) or 24 Nov 2026 in English; a stored
    time shows the day it is in Thailand."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = local_time(value).date()
    language = current_language()
    month = get_month_names("abbreviated", locale=language)[value.month]
    year = value.year + 543 if language == "th" else value.year
    return f"{value.day} {month} {year}"


def format_date_input(value):
    """A date as a form shows it for typing: 24/11/2569 in Thai (B.E.), 24/11/2026 in English.

    Text that is not an ISO date is what the person typed (a form sent back with an error) and
    is shown as it was.
    """
    if isinstance(value, str):
        typed = value
        try:
            value = datetime.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        except ValueError:
            value = None  # ISO-shaped but no such day (2026-13-01)
        if value is None:
            return typed
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = local_time(value).date()
    year = value.year + 543 if current_language() == "th" else value.year
    return f"{value.day:02d}/{value.month:02d}/{year}"


def format_datetime(value):
    """Show a stored UTC time in Thailand's time (UTC+7) with the date as format_date does."""
    if value is None:
        return ""
    local = local_time(value)
    return f"{format_date(local.date())} {local:%H:%M}"


def area_parts(area_m2):
    """Split square metres into (rai, ngan, wa), wa keeping any fraction."""
    wa_total = Decimal(area_m2) / SQUARE_METRES_PER_WA
    rai, rest = divmod(wa_total, WA_PER_RAI)
    ngan, wa = divmod(rest, WA_PER_NGAN)
    wa = wa.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize() + 0  # + 0: no "1E+1"
    return int(rai), int(ngan), wa


def area_from_parts(rai, ngan, wa):
    """Turn ไร่, งาน, ตารางวา into square metres."""
    wa_total = Decimal(rai or 0) * WA_PER_RAI + Decimal(ngan or 0) * WA_PER_NGAN + Decimal(wa or 0)
    return wa_total * SQUARE_METRES_PER_WA


def format_area(area_m2):
    """Show an area as 2 ไร่ 1 งาน 50 ตร.ว. (rai, ngan, sq. wa in English) with m² beside it."""
    if area_m2 is None:
        return ""
    rai, ngan, wa = area_parts(area_m2)
    parts = []
    if rai:
        parts.append(_("%(n)s rai", n=rai))
    if ngan:
        parts.append(_("%(n)s ngan", n=ngan))
    if wa or not parts:
        parts.append(_("%(n)s sq. wa", n=f"{wa:f}"))
    square_metres = f"{Decimal(area_m2).normalize():,f}"
    return f"{' '.join(parts)} ({square_metres} m²)"


def local_name(record, field="name"):
    """A record's Thai `name_th`, or its `name_en` on English pages when it has one."""
    thai = getattr(record, f"{field}_th")
    if current_language() == "en":
        return getattr(record, f"{field}_en", "") or thai
    return thai


def init_app(app):
    """Set up Flask-Babel and the template filters every page uses."""
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directory(app.instance_path)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Bangkok")
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.filters["baht"] = format_baht
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["date_input"] = format_date_input
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["area"] = format_area
    app.jinja_env.filters["quantity"] = format_quantity
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["local_name"] = local_name
    app.jinja_env.globals["today"] = local_today
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
