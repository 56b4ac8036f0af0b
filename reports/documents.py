"""The cross-domain reports as core.report objects: the dashboard (the council's report), income
impact, mass balance and the recall report. One object each, shown as the page, CSV, XLSX and
PDF by core.report. Households appear by code and public name only.
"""
from flask_babel import gettext as _

from core.i18n import format_baht, format_date, format_datetime, local_name
from core.report import Money, Percent, Quantity, Report, Section
from reports import dashboard, impact, massbalance
from traceability import codes

IMPACT_WINDOWS = ("6", "12")


def dashboard_report(start, end, market_name, totals=None):
    """What the market sold in the period, by product, household, village, group and day, with charts.

    `totals` is dashboard.totals() for the period when the caller has it already (the page shows
    them as tiles too): on a decade of data each reading costs a scan of the period's sales.
    """
    totals = totals or dashboard.totals(start, end)
    tables = [
        ("products", _("Sales by product"), _("Product"),
         [(local_name(product), amount) for product, amount in dashboard.by_product(start, end)]),
        ("households", _("Sales by household"), _("Household"),
         [(household.staff_name, amount)
          for household, amount in dashboard.by_household(start, end)]),
        ("villages", _("Sales by village"), _("Village"),
         [(_("Village %(no)s", no=village), amount) for village, amount in dashboard.by_village(start, end)]),
        ("groups", _("Sales by occupation group"), _("Occupation group"),
         [(local_name(group), amount) for group, amount in dashboard.by_occupation_group(start, end)]),
        ("days", _("Sales by market day"), _("Date"),
         [(format_date(day), amount) for day, amount in dashboard.by_day(start, end)]),
    ]
    return Report(
        title=_("Green market report %(start)s to %(end)s", start=format_date(start), end=format_date(end)),
        filename=f"report-{start}-{end}", source=market_name,
        notes=[_("%(sales)s sales, %(net)s taken, of which certified organic %(certified)s (%(percent)s%%).",
                 sales=totals["sales"], net=format_baht(totals["net_satang"]),
                 certified=format_baht(totals["certified_satang"]), percent=totals["certified_percent"])],
        sections=[Section(title, [label, _("Sales")], [[name, Money(amount)] for name, amount in rows],
                          chart=rows, key=f"table-{key}", empty=_("No sales in this period."))
                  for key, title, label, rows in tables])


def impact_labels():
    """The follow-up windows by their key in impact.programme()'s summary."""
    return {"6": _("6 months"), "12": _("12 months")}


def impact_report(result, market_name):
    """The programme's income impact: averages before and after, then by group where groups are large enough."""
    labels = impact_labels()
    sections = []
    for window, figures in result["summary"].items():
        rows, chart = [], None
        if figures:
            rows = [[_("Income") + " (" + _("%(n)s households", n=figures["households"]) + ")",
                     Money(figures["income_before"]), Money(figures["income_after"]), Money(figures["income_change"]),
                     _percent(figures["income_percent"])],
                    [_("Expenses"), Money(figures["expenses_before"]), Money(figures["expenses_after"]),
                     Money(figures["expenses_change"]), _percent(figures["expenses_percent"])]]
            chart = [(_("Income before"), figures["income_before"]), (_("Income after"), figures["income_after"]),
                     (_("Expenses before"), figures["expenses_before"]), (_("Expenses after"), figures["expenses_after"])]
        sections.append(Section(labels[window], [_("Per household per month"), _("Before"), _("After"),
                                                 _("Change from baseline"), _("Change (%)")],
                                rows, chart=chart, key=f"impact-{window}", empty=_("No follow-up survey yet."),
                                cell_ids={(0, 3): f"income-change-{window}"}))
    groups = []
    for (kind, key), (figures, size) in result["splits"].items():
        name = (_("Village %(no)s", no=key) if kind == "village" else
                str(impact.DISADVANTAGED_GROUPS[key]) if kind == "disadvantaged" else key)
        changes = [Money(figures[window]["income_change"]) if figures and figures[window] else None
                   for window in IMPACT_WINDOWS]
        groups.append([name, size, *changes])
    sections.append(Section(_("By group"), [_("Group"), _("Households"), _("Income change at 6 months"),
                                            _("Income change at 12 months")], groups, key="impact-groups"))
    return Report(
        title=_("Household income impact"), filename="impact", source=market_name,
        notes=[_("%(n)s households with a baseline survey.", n=len(result["impacts"])),
               _("Income is what the household reported plus its green-market sales in the 30 days before each survey."),
               _("Groups of fewer than %(n)s households are not shown, so no household can be singled out.",
                 n=impact.MIN_GROUP_SIZE)],
        sections=sections)


def _percent(value):
    return None if value is None else Percent(value, signed=True)


def mass_balance_report(rows, start, end, only_alerts, market_name):
    """Harvested, sold, used and what the land can yield, per household and product, with follow-up flags."""
    title = _("Mass balance") + (" · " + _("Alerts") if only_alerts else "")
    table = [[b.household.staff_name, local_name(b.product),
              Quantity(b.harvested_milli, b.product.unit), Quantity(b.sold_milli, b.product.unit),
              Quantity(b.used_milli, b.product.unit),
              None if b.capacity_milli is None else Quantity(b.capacity_milli, b.product.unit),
              "; ".join(str(massbalance.FLAGS[flag]) for flag in b.flags)] for b in rows]
    return Report(
        title=title, filename=f"mass-balance-{start}-{end}", source=market_name,
        subtitle=_("%(start)s to %(end)s", start=format_date(start), end=format_date(end)),
        sections=[Section(_("Mass balance"), [_("Household"), _("Product"), _("Harvested"), _("Sold"),
                                              _("Used in making"), _("Land can yield"), _("Follow up")],
                          table, key="mass-balance", empty=_("Nothing in this period."))])


def recall_report(title, recalled, lines, filename, market_name):
    """Every sale of the recalled batches (a harvest and what was made from it), to find the buyers' receipts."""
    notes = []
    for batch in recalled:
        dated = (_("Made %(date)s", date=format_date(batch.harvest_date)) if batch.is_made
                 else _("Harvested %(date)s", date=format_date(batch.harvest_date)))
        state = (_("Recalled %(when)s: %(reason)s", when=format_datetime(batch.recalled_at), reason=batch.recall_reason)
                 if batch.recalled_at else _("Not recalled."))
        notes.append(f"{codes.format_code(batch.code)} · {local_name(batch.product)} · "
                     f"{batch.household.staff_name} · {dated} · {state}")
    rows = [[str(line["sale_id"]), codes.format_code(line["batch_code"]), line["created_at"], line["counter"],
             Quantity(line["quantity_milli"], line["unit"]), Money(line["total_satang"]),
             _("void") if line["voided_at"] else ""] for line in lines]
    return Report(
        title=title, filename=filename, source=market_name, notes=notes,
        sections=[Section(_("Sales"), [_("Receipt no."), _("Batch"), _("When"), _("Counter"), _("Quantity"),
                                       _("Amount"), _("Void")], rows, key="recall-sales",
                          empty=_("None of these batches has been sold."))])
