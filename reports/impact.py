"""Household income impact: the baseline survey against the follow-ups at about 6 and 12 months.

A household's income at a survey is what it told the surveyor plus what it sold at the green
market in the 30 days before (added automatically, from the sales records). Groups (villages,
occupation groups, disadvantaged groups) are shown only when they have at least 5 households,
so no one can be singled out.
"""
import dataclasses
import datetime

from flask_babel import lazy_gettext as _l
from peewee import fn

from core.models import Attendance, CourseSession, Household, HouseholdOccupation, IncomeSurvey, OccupationGroup
from market.models import MarketDay, Refund, Sale, SaleLine

MARKET_WINDOW_DAYS = 30  # market sales in this many days before a survey count as that month's income
FOLLOW_UPS = {"6": (150, 240), "12": (300, 450)}  # days after the baseline that count as 6 and 12 months
MIN_GROUP_SIZE = 5

DISADVANTAGED_GROUPS = {
    "is_elderly": _l("Elderly"),
    "is_disabled": _l("Person with disability"),
    "is_low_income": _l("Low income"),
}


@dataclasses.dataclass
class Point:
    """One survey: monthly income (surveyed + market sales) and expenses, in satang."""

    surveyed_on: datetime.date
    surveyed_income: int
    market_income: int
    expenses: int
    home_produced: int

    @property
    def income(self):
        return self.surveyed_income + self.market_income


@dataclasses.dataclass
class HouseholdImpact:
    household: Household
    baseline: Point
    follow_ups: dict  # "6" / "12" -> Point or None


def market_income(household_id, until):
    """Net green-market sales of a household in the window before `until` (satang)."""
    since = until - datetime.timedelta(days=MARKET_WINDOW_DAYS - 1)
    sold = (SaleLine.select(fn.COALESCE(fn.SUM(SaleLine.total_satang), 0)).join(Sale).join(MarketDay)
            .where(SaleLine.household == household_id, Sale.voided_at.is_null(),
                   MarketDay.market_date.between(since, until)).scalar())
    refunded = (Refund.select(fn.COALESCE(fn.SUM(Refund.amount_satang), 0)).join(MarketDay).switch(Refund).join(SaleLine)
                .where(SaleLine.household == household_id, MarketDay.market_date.between(since, until)).scalar())
    return int(sold) - int(refunded)


def _point(survey):
    return Point(survey.surveyed_on, survey.income_satang, market_income(survey.household_id, survey.surveyed_on),
                 survey.expenses_satang, survey.home_produced_satang)


def household_impact(household):
    """The household's baseline and follow-ups, or None without a baseline."""
    surveys = list(IncomeSurvey.select().where(IncomeSurvey.household == household).order_by(IncomeSurvey.surveyed_on))
    baseline = next((s for s in surveys if s.is_baseline), None)
    if baseline is None:
        return None
    follow_ups = {}
    for label, (earliest, latest) in FOLLOW_UPS.items():
        window = [s for s in surveys if not s.is_baseline
                  and earliest <= (s.surveyed_on - baseline.surveyed_on).days <= latest]
        follow_ups[label] = _point(window[-1]) if window else None
    return HouseholdImpact(household, _point(baseline), follow_ups)


def _households(course_id=None):
    query = Household.select().join(IncomeSurvey).where(IncomeSurvey.is_baseline == True).distinct()  # noqa: E712
    if course_id:
        attended = (Attendance.select(Attendance.household).join(CourseSession)
                    .where(CourseSession.course == course_id))
        query = query.where(Household.id.in_(attended))
    return query.order_by(Household.code)


def summary(impacts):
    """Average income and expenses at the baseline and at each follow-up, over households that have both."""
    result = {}
    for label in FOLLOW_UPS:
        pairs = [(i.baseline, i.follow_ups[label]) for i in impacts if i.follow_ups[label] is not None]
        if not pairs:
            result[label] = None
            continue
        count = len(pairs)
        before_income = sum(b.income for b, _f in pairs) // count
        after_income = sum(f.income for _b, f in pairs) // count
        before_expenses = sum(b.expenses for b, _f in pairs) // count
        after_expenses = sum(f.expenses for _b, f in pairs) // count
        result[label] = {
            "households": count,
            "income_before": before_income, "income_after": after_income,
            "income_change": after_income - before_income,
            "income_percent": _percent(after_income - before_income, before_income),
            "expenses_before": before_expenses, "expenses_after": after_expenses,
            "expenses_change": after_expenses - before_expenses,
            "expenses_percent": _percent(after_expenses - before_expenses, before_expenses),
        }
    return result


def _percent(change, base):
    return round(change * 100 / base, 1) if base else None


def programme(course_id=None):
    """The whole programme (or a course's attendees): summary, and by village, group and disadvantage."""
    impacts = [impact for impact in map(household_impact, _households(course_id)) if impact]
    by_id = {impact.household.id: impact for impact in impacts}
    groups = {}
    for village in sorted({i.household.village_no for i in impacts}):
        groups[("village", village)] = [i for i in impacts if i.household.village_no == village]
    links = (HouseholdOccupation.select(HouseholdOccupation.household, OccupationGroup)
             .join(OccupationGroup).where(HouseholdOccupation.household.in_(list(by_id))))
    for link in links:
        groups.setdefault(("group", link.group.name_th), []).append(by_id[link.household_id])
    for flag in DISADVANTAGED_GROUPS:
        groups[("disadvantaged", flag)] = [i for i in impacts if getattr(i.household, flag)]
    splits = {key: (summary(members) if len(members) >= MIN_GROUP_SIZE else None, len(members))
              for key, members in groups.items() if members}
    return {"impacts": impacts, "summary": summary(impacts), "splits": splits}
