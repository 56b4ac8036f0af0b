"""Tables of the kernel: staff accounts, the audit log and the council's central data."""
import datetime

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core.db import BaseModel, utcnow

ROLES = {
    "admin": _l("Council secretariat (admin)"),
    "cashier": _l("Cashier"),
    "inspector": _l("Inspector"),
    "grower": _l("Grower (household member)"),
}
# Roles of the market's own people; a grower account belongs to one household and sees only its data.
STAFF_ROLES = ("admin", "cashier", "inspector")

GROWER_STATUSES = {
    "none": _l("Not a grower"),
    "applicant": _l("Applicant"),
    "active": _l("Active grower"),
    "withdrawn": _l("Withdrawn"),
}

UNITS = {
    "kg": _l("kg"),
    "bunch": _l("bunch"),
    "piece": _l("piece"),
    "bottle": _l("bottle"),
    "pack": _l("pack"),
}

CATEGORIES = {
    "vegetable": _l("Vegetable"),
    "mushroom": _l("Mushroom"),
    "honey": _l("Honey"),
    "handicraft": _l("Handicraft"),
    "other": _l("Other"),
}

# Seen only by admin: never on public pages, labels, or the answers other roles get.
SENSITIVE_HOUSEHOLD_FIELDS = (
    "phone",
    "national_id",
    "is_elderly",
    "is_disabled",
    "is_low_income",
    "disadvantaged_other",
)


class User(BaseModel):
    """An account: staff (council secretariat, cashier or inspector), or a grower of one household."""

    username = CharField(max_length=40, unique=True)
    full_name = CharField(max_length=120, default="")
    role = CharField(max_length=20)
    password_hash = CharField(max_length=255)
    is_active = BooleanField(default=True)
    # An inspector who sits on the certification committee may decide and change certificates.
    is_committee = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    # A grower who chose a PIN instead of a password: it signs in only from a device it set up.
    uses_pin = BooleanField(default=False)

    def has_role(self, *roles):
        return self.is_active and self.role in roles

    @property
    def decides_certification(self):
        """Admin, or an inspector on the certification committee."""
        return self.is_active and (self.role == "admin" or (self.role == "inspector" and self.is_committee))


class ApiToken(BaseModel):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)


class LoginAttempt(BaseModel):
    """One sign-in try, kept to slow down password guessing (and removed after 90 days)."""

    username = CharField(max_length=40, index=True)
    ip = CharField(max_length=64, index=True)
    at = DateTimeField(default=utcnow, index=True)
    succeeded = BooleanField()
    # The id of a device known to this name (its signed cookie), or "" for any other device.
    device = CharField(max_length=32, default="")


class AuditEntry(BaseModel):
    """Who changed what and when; written in the same transaction as the change."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, backref="audit_entries", on_delete="SET NULL")
    action = CharField(max_length=20)
    entity = CharField(max_length=40)
    entity_id = IntegerField()
    changes = TextField(default="{}")

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


class OccupationGroup(BaseModel):
    """A group that lives from local wisdom, such as mushroom growers or palm-leaf weavers."""

    name_th = CharField(max_length=120, unique=True)
    name_en = CharField(max_length=120, default="")
    description = TextField(default="")


def household_name(code, display_name):
    """A household as staff lists name it: its code and chosen display name, never a person's name, the code once."""
    return f"{code} · {display_name}" if display_name and display_name != code else code


class Household(BaseModel):
    """A household in the council's central data, and its organic grower registration."""

    code = CharField(max_length=20, unique=True)
    head_name = CharField(max_length=120)
    display_name = CharField(max_length=120, default="")
    village_no = IntegerField(index=True)
    address = CharField(max_length=255, default="")
    phone = CharField(max_length=20, default="")
    national_id = CharField(max_length=13, default="")
    is_elderly = BooleanField(default=False)
    is_disabled = BooleanField(default=False)
    is_low_income = BooleanField(default=False)
    disadvantaged_other = CharField(max_length=255, default="")
    grower_status = CharField(max_length=20, default="none", index=True)
    pledge_date = DateField(null=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    member_count = IntegerField(null=True)  # people living in the household, as the council's sheet counts them
    # The secretariat lets this household print the labels of its own checked harvests at home.
    grower_prints_labels = BooleanField(default=False)

    @property
    def public_name(self):
        """The name shown to shoppers: the display name the household chose, else its code; never a person's name.

        Every public place shows the village beside it, so a household without a display name
        reads as its code and village.
        """
        return self.display_name or self.code

    @property
    def staff_name(self):
        """The household as staff pages list it: its code, then its display name if it chose one (the code once)."""
        return household_name(self.code, self.display_name)


# A grower account's household (staff have none). Added here because Household is declared after
# User; the column is a real foreign key, created with the table and by core step 7.
User._meta.add_field("household", ForeignKeyField(Household, null=True, backref="accounts", on_delete="RESTRICT"))


class OccupationSynonym(BaseModel):
    """A word the council's sheets use for an occupation group ("ผักสวนครัว"), kept once mapped."""

    word = CharField(max_length=120, unique=True)  # folded as core.registry_io compares words
    written = CharField(max_length=120)  # the word as the sheet wrote it, to show
    group = ForeignKeyField(OccupationGroup, backref="synonyms", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class HouseholdImport(BaseModel):
    """A household sheet uploaded for import, kept (file and mapping) until it is committed or a day old."""

    token = CharField(max_length=40, unique=True)  # the file's name under instance/imports
    user = ForeignKeyField(User, backref="household_imports", on_delete="CASCADE")
    filename = CharField(max_length=255)
    uploaded_at = DateTimeField(default=utcnow, index=True)
    header_line = IntegerField(default=1)
    columns = TextField(default="[]")  # JSON: the field each column feeds, "" for a column not used
    values = TextField(default="{}")  # JSON: {"occupation_groups" | "disadvantaged": {word: choice}}


class HouseholdOccupation(BaseModel):
    """Which occupation groups a household belongs to."""

    household = ForeignKeyField(Household, backref="occupations", on_delete="CASCADE")
    group = ForeignKeyField(OccupationGroup, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("household", "group"), True),)


class Member(BaseModel):
    """A person living in a household."""

    household = ForeignKeyField(Household, backref="members", on_delete="CASCADE")
    full_name = CharField(max_length=120)
    relationship = CharField(max_length=60, default="")
    birth_year = IntegerField(null=True)


class Plot(BaseModel):
    """A piece of land a household farms; its area is kept in square metres."""

    household = ForeignKeyField(Household, backref="plots", on_delete="CASCADE")
    name = CharField(max_length=120)
    area_m2 = DecimalField(max_digits=12, decimal_places=2)
    main_crops = CharField(max_length=255, default="")
    latitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    notes = TextField(default="")


class Product(BaseModel):
    """A kind of produce or goods sold at the market, with its unit and default price."""

    name_th = CharField(max_length=120, unique=True)
    name_en = CharField(max_length=120, default="")
    unit = CharField(max_length=20)
    category = CharField(max_length=20)
    is_certifiable = BooleanField(default=True)
    # Making it (bottling, packing) is a certified step: the maker must be certified for it too.
    making_certified = BooleanField(default=False)
    default_price_satang = IntegerField(null=True)
    is_active = BooleanField(default=True)


# The council's quality-of-life programme: the five community curricula and the income surveys
# that show, at 6 and 12 months, whether households spend less and earn more.

# The programme began with fiscal year 2566 B.E.: no pledge, course or survey of it is older.
PROGRAMME_START = datetime.date(2022, 10, 1)

CURRICULA = {
    1: _l("Household vegetables the sufficiency-economy way"),
    2: _l("Flowers and household goods woven from pandan, coconut and palmyra leaves"),
    3: _l("Mushroom growing"),
    4: _l("Stingless-bee keeping"),
    5: _l("Household solar-cell installation"),
}


class Course(BaseModel):
    """One run of a community curriculum, with its local teacher."""

    curriculum = IntegerField()
    name_th = CharField(max_length=160)
    name_en = CharField(max_length=160, default="")
    teacher = CharField(max_length=120, default="")
    starts_on = DateField(null=True)


class CourseSignup(BaseModel):
    """A household that wants a course (the sign-up survey)."""

    course = ForeignKeyField(Course, backref="signups", on_delete="CASCADE")
    household = ForeignKeyField(Household, backref="course_signups", on_delete="CASCADE")

    class Meta:
        indexes = ((("course", "household"), True),)


class CourseSession(BaseModel):
    """One class of a course on a date."""

    course = ForeignKeyField(Course, backref="sessions", on_delete="CASCADE")
    held_on = DateField()
    topic = CharField(max_length=200, default="")


class Attendance(BaseModel):
    """A household present at a session."""

    session = ForeignKeyField(CourseSession, backref="attendance", on_delete="CASCADE")
    household = ForeignKeyField(Household, backref="attendance", on_delete="CASCADE")

    class Meta:
        indexes = ((("session", "household"), True),)


class IncomeSurvey(BaseModel):
    """A household's monthly income by source and its expenses, at the baseline or a follow-up.

    Amounts are satang per month. `home_produced_satang` is the part of the household's needs
    now produced at home (vegetables, solar electricity): money it no longer spends.
    """

    household = ForeignKeyField(Household, backref="income_surveys", on_delete="CASCADE")
    surveyed_on = DateField(index=True)
    is_baseline = BooleanField(default=False)
    farming_income_satang = IntegerField(default=0)
    wage_income_satang = IntegerField(default=0)
    craft_income_satang = IntegerField(default=0)
    other_income_satang = IntegerField(default=0)
    expenses_satang = IntegerField(default=0)
    home_produced_satang = IntegerField(default=0)
    notes = TextField(default="")

    @property
    def income_satang(self):
        return self.farming_income_satang + self.wage_income_satang + self.craft_income_satang + self.other_income_satang


PROGRAMME_MODELS = [Course, CourseSignup, CourseSession, Attendance, IncomeSurvey]

MODELS = [
    User,
    ApiToken,
    LoginAttempt,
    AuditEntry,
    OccupationGroup,
    Household,
    HouseholdOccupation,
    OccupationSynonym,
    HouseholdImport,
    Member,
    Plot,
    Product,
    *PROGRAMME_MODELS,
]

# Schema steps after the first release; append a function(migrator), never edit a shipped one.
# A step declares every table it creates as that step shipped it (a frozen copy, as below), never
# with today's model class: a later step that adds a column to the table would find it already
# there on an old database.
def _add_committee_flag(migrator):
    """Step 1: the committee flag of an inspector who may decide on certificates."""
    from playhouse.migrate import migrate

    migrate(migrator.add_column("user", "is_committee", BooleanField(default=False)))


def _add_programme(migrator):
    """Step 2: courses, sign-ups, sessions, attendance and income surveys."""

    class CourseV2(BaseModel):
        curriculum = IntegerField()
        name_th = CharField(max_length=160)
        name_en = CharField(max_length=160, default="")
        teacher = CharField(max_length=120, default="")
        starts_on = DateField(null=True)

        class Meta:
            table_name = "course"

    class CourseSignupV2(BaseModel):
        course = ForeignKeyField(CourseV2, backref="+", on_delete="CASCADE")
        household = ForeignKeyField(Household, backref="+", on_delete="CASCADE")

        class Meta:
            table_name = "course_signup"
            indexes = ((("course", "household"), True),)

    class CourseSessionV2(BaseModel):
        course = ForeignKeyField(CourseV2, backref="+", on_delete="CASCADE")
        held_on = DateField()
        topic = CharField(max_length=200, default="")

        class Meta:
            table_name = "course_session"

    class AttendanceV2(BaseModel):
        session = ForeignKeyField(CourseSessionV2, backref="+", on_delete="CASCADE")
        household = ForeignKeyField(Household, backref="+", on_delete="CASCADE")

        class Meta:
            table_name = "attendance"
            indexes = ((("session", "household"), True),)

    class IncomeSurveyV2(BaseModel):
        household = ForeignKeyField(Household, backref="+", on_delete="CASCADE")
        surveyed_on = DateField(index=True)
        is_baseline = BooleanField(default=False)
        farming_income_satang = IntegerField(default=0)
        wage_income_satang = IntegerField(default=0)
        craft_income_satang = IntegerField(default=0)
        other_income_satang = IntegerField(default=0)
        expenses_satang = IntegerField(default=0)
        home_produced_satang = IntegerField(default=0)
        notes = TextField(default="")

        class Meta:
            table_name = "income_survey"

    migrator.database.create_tables([CourseV2, CourseSignupV2, CourseSessionV2, AttendanceV2, IncomeSurveyV2])


def _add_import_mapping(migrator):
    """Step 3: household member count, occupation-group synonyms and uploads between import steps."""
    from playhouse.migrate import migrate

    migrate(migrator.add_column("household", "member_count", IntegerField(null=True)))

    class OccupationSynonym(BaseModel):
        word = CharField(max_length=120, unique=True)
        written = CharField(max_length=120)
        group = ForeignKeyField(OccupationGroup, backref="+", on_delete="CASCADE")
        created_at = DateTimeField(default=utcnow)

    class HouseholdImport(BaseModel):
        token = CharField(max_length=40, unique=True)
        user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        filename = CharField(max_length=255)
        uploaded_at = DateTimeField(default=utcnow, index=True)
        header_line = IntegerField(default=1)
        columns = TextField(default="[]")
        values = TextField(default="{}")

    migrator.database.create_tables([OccupationSynonym, HouseholdImport])


def _add_making_certified(migrator):
    """Step 4: whether making a product from other batches is a certified step."""
    from playhouse.migrate import migrate

    if "making_certified" not in {column.name for column in migrator.database.get_columns("product")}:
        migrate(migrator.add_column("product", "making_certified", BooleanField(default=False)))


def _add_sign_in_device(migrator):
    """Step 5: the known device a sign-in came from, so the brake can let the real user through."""
    from playhouse.migrate import migrate

    if "device" not in {column.name for column in migrator.database.get_columns("login_attempt")}:
        migrate(migrator.add_column("login_attempt", "device", CharField(max_length=32, default="")))


class Consent(BaseModel):
    """A person's explicit consent (PDPA) for the council to keep sensitive data about the household.

    `member` is None for the head of household. Withdrawn consents stay, with when and by whom.
    """

    household = ForeignKeyField(Household, backref="consents", on_delete="CASCADE")
    member = ForeignKeyField(Member, null=True, backref="consents", on_delete="CASCADE")
    person_name = CharField(max_length=120)  # who gave it, as on the signed form
    purpose = CharField(max_length=40)
    form_version = CharField(max_length=40)
    given_on = DateField()
    recorded_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, null=True, backref="consents_recorded", on_delete="SET NULL")
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(User, null=True, backref="consents_withdrawn", on_delete="SET NULL")


class PersonalDataView(BaseModel):
    """Who looked at a household's personal data, where, and when (a page or an export)."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, backref="personal_data_views", on_delete="SET NULL")
    household = ForeignKeyField(Household, null=True, backref="personal_data_views", on_delete="SET NULL")
    what = CharField(max_length=200)  # the page or export, as its address


PRIVACY_MODELS = [Consent, PersonalDataView]
MODELS += PRIVACY_MODELS


def _add_privacy_records(migrator):
    """Step 6: consents (PDPA) and the log of who viewed personal data."""

    class ConsentV6(BaseModel):
        household = ForeignKeyField(Household, backref="+", on_delete="CASCADE")
        member = ForeignKeyField(Member, null=True, backref="+", on_delete="CASCADE")
        person_name = CharField(max_length=120)
        purpose = CharField(max_length=40)
        form_version = CharField(max_length=40)
        given_on = DateField()
        recorded_at = DateTimeField(default=utcnow)
        recorded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            table_name = "consent"

    class PersonalDataViewV6(BaseModel):
        at = DateTimeField(default=utcnow, index=True)
        user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        household = ForeignKeyField(Household, null=True, backref="+", on_delete="SET NULL")
        what = CharField(max_length=200)

        class Meta:
            table_name = "personal_data_view"

    migrator.database.create_tables([ConsentV6, PersonalDataViewV6])


class Invitation(BaseModel):
    """A one-time link that lets a grower set up their account on their phone; only its SHA-256 is kept.

    Valid for a few days and used once; printing a new one for the same account voids the old.
    """

    user = ForeignKeyField(User, backref="invitations", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="invitations_made", on_delete="SET NULL")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    voided_at = DateTimeField(null=True)


MODELS += [Invitation]


def _add_grower_accounts(migrator):
    """Step 7: grower accounts (their household, PIN sign-in), invitations, and who may print labels at home."""
    from playhouse.migrate import migrate

    user_columns = {column.name for column in migrator.database.get_columns("user")}
    if "household_id" not in user_columns:
        migrate(migrator.add_column("user", "household_id",
                                    ForeignKeyField(Household, null=True, field=Household.id, on_delete="RESTRICT")))
    if "uses_pin" not in user_columns:
        migrate(migrator.add_column("user", "uses_pin", BooleanField(default=False)))
    if "grower_prints_labels" not in {column.name for column in migrator.database.get_columns("household")}:
        migrate(migrator.add_column("household", "grower_prints_labels", BooleanField(default=False)))

    class InvitationV7(BaseModel):
        user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField(default=utcnow)
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        voided_at = DateTimeField(null=True)

        class Meta:
            table_name = "invitation"

    migrator.database.create_tables([InvitationV7], safe=True)


MIGRATIONS = [_add_committee_flag, _add_programme, _add_import_mapping, _add_making_certified,
              _add_sign_in_device, _add_privacy_records, _add_grower_accounts]
