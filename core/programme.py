"""The council's programme: community courses (sign-ups, sessions, attendance) and income surveys.

Survey amounts come in baht per month and are kept as integer satang. A household has at most
one baseline survey; follow-ups are compared with it by the impact report (reports/impact.py).
"""
import datetime

from flask_babel import lazy_gettext as _l
from peewee import fn

from core import audit
from core.db import LARGEST_ID, db
from core.i18n import format_date
from core.models import (
    CURRICULA,
    PROGRAMME_START,
    Attendance,
    Course,
    CourseSession,
    CourseSignup,
    Household,
    IncomeSurvey,
)
from core.validation import Boolean, Choice, Date, Integer, Money, Schema, Text, ValidationError, local_today

COURSE_PLANNING = datetime.timedelta(days=366)  # courses and classes are planned at most a year ahead
SURVEY_AMOUNTS = ("farming_income", "wage_income", "craft_income", "other_income", "expenses", "home_produced")


def _programme_date(latest, required=False):
    """A date of the programme: not before it began (PROGRAMME_START), not after `latest` (a function of today)."""
    return Date(required=required, earliest=PROGRAMME_START, latest=latest,
                too_early=lambda: _l("The programme began on %(date)s: a date before it is a typing mistake. Check the year.",
                                     date=format_date(PROGRAMME_START)),
                too_late=lambda: _l("This date is too far ahead (at most %(date)s).", date=format_date(latest())))


def _planning_horizon():
    """The last day a course or one of its classes may be planned for."""
    return local_today() + COURSE_PLANNING


class CourseInput(Schema):
    """A community course: its curriculum, names, teacher and first day."""

    curriculum = Choice([str(key) for key in CURRICULA], required=True)
    name_th = Text(160, required=True)
    name_en = Text(160)
    teacher = Text(120)
    starts_on = _programme_date(_planning_horizon)


def create_course(data, by_user):
    cleaned = CourseInput.clean(data)
    cleaned["curriculum"] = int(cleaned["curriculum"])
    with db.atomic():
        course = Course.create(**cleaned)
        audit.record(by_user, "create", "course", course.id, {"name_th": (None, course.name_th)})
    return course


class CourseSignupInput(Schema):
    """The household that signs up for a course."""

    household_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)


def _household(data):
    household = Household.get_or_none(Household.id == CourseSignupInput.clean(data)["household_id"])
    if household is None:
        raise ValidationError({"household_id": _l("Choose a household from the list.")})
    return household


def sign_up(course, data, by_user):
    """Record that a household wants the course; signing up twice is harmless."""
    household = _household(data)
    with db.atomic():
        signup, created = CourseSignup.get_or_create(course=course, household=household)
        if created:
            audit.record(by_user, "create", "course_signup", signup.id, {"household": (None, household.code)})
    return signup


class CourseSessionInput(Schema):
    """One class of a course: its day and topic."""

    held_on = _programme_date(_planning_horizon, required=True)
    topic = Text(200)


def add_session(course, data, by_user):
    cleaned = CourseSessionInput.clean(data)
    with db.atomic():
        return CourseSession.create(course=course, **cleaned)


def record_attendance(session, household_ids, by_user):
    """Set who attended a session (households signed up for the course only)."""
    allowed = {row.household_id for row in session.course.signups}
    try:
        wanted = {int(value) for value in household_ids}
    except (TypeError, ValueError):
        raise ValidationError({"household_ids": _l("Choose households from the list.")}) from None
    if not wanted <= allowed:
        raise ValidationError({"household_ids": _l("Only households signed up for the course can attend.")})
    with db.atomic():
        Attendance.delete().where(Attendance.session == session).execute()
        if wanted:
            Attendance.insert_many([{"session": session.id, "household": household} for household in sorted(wanted)]).execute()
        audit.record(by_user, "update", "attendance", session.id, {"households": (None, sorted(wanted))})


def courses_taken(household):
    """Courses a household attended at least once, with how many sessions."""
    return list(Course.select(Course, fn.COUNT(Attendance.id).alias("sessions_attended"))
                .join(CourseSession).join(Attendance)
                .where(Attendance.household == household)
                .group_by(Course).order_by(Course.curriculum))


# Declared with type(): its amounts are SURVEY_AMOUNTS, one Money field each, in that order.
IncomeSurveyInput = type("IncomeSurveyInput", (Schema,), {
    "__doc__": "A household's income survey: its day, whether it is the baseline, the amounts in baht a month.",
    "surveyed_on": _programme_date(local_today, required=True),
    "is_baseline": Boolean(),
    **{name: Money() for name in SURVEY_AMOUNTS},
    "notes": Text(1000),
})


def save_survey(household, data, by_user):
    """Record a baseline or follow-up survey; amounts in baht per month."""
    cleaned = IncomeSurveyInput.clean(data)
    values = {"household": household, "surveyed_on": cleaned["surveyed_on"], "is_baseline": cleaned["is_baseline"],
              "notes": cleaned["notes"]}
    for name in SURVEY_AMOUNTS:
        values[f"{name}_satang"] = cleaned[name] or 0
    with db.atomic():
        if values["is_baseline"] and IncomeSurvey.select().where(IncomeSurvey.household == household,
                                                                  IncomeSurvey.is_baseline == True).exists():  # noqa: E712
            raise ValidationError({"is_baseline": _l("This household already has a baseline survey.")})
        survey = IncomeSurvey.create(**values)
        audit.record(by_user, "create", "income_survey", survey.id, {"surveyed_on": (None, survey.surveyed_on)})
    return survey

