"""Staff pages for the central data: households, members, plots, products, groups, accounts, audit.

Views only parse the request, call one service function and render; the rules live in
households.py, products.py and accounts.py.
"""
import os
import re
from decimal import Decimal
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from core import accounts, audit, hooks, households, invitations, products, programme, registry_io, retention
from core.auth import SECRET_MARK, login_required, role_required, secret_mark
from core.config import owner_only_folder
from core.db import LARGEST_ID, get_or_404
from core.forms import form_page, saved
from core.i18n import area_parts, current_language, local_name
from core.models import (
    CATEGORIES,
    CURRICULA,
    GROWER_STATUSES,
    ROLES,
    STAFF_ROLES,
    UNITS,
    Attendance,
    Course,
    CourseSession,
    CourseSignup,
    Household,
    IncomeSurvey,
    Member,
    OccupationGroup,
    OccupationSynonym,
    Plot,
    Product,
    User,
)
from core.validation import ValidationError, local_today

bp = Blueprint("core", __name__)


def form_data():
    """The submitted form as a dict, multi-valued fields (checkbox lists) as lists."""
    data = request.form.to_dict()
    data["occupation_group_ids"] = request.form.getlist("occupation_group_ids")
    return data


def filter_number(name, maximum=LARGEST_ID):
    """A whole-number filter from the query string, or None when it is missing or out of range.

    Pages ignore a filter they cannot use (the API refuses it); a huge number must never reach
    the database, where SQLite cannot hold it.
    """
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= maximum else None


def page_of(query):
    """Slice a query for the `page` argument; returns (rows, page, page_count)."""
    size = 50
    total = query.count()
    page_count = max(1, -(-total // size))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), page_count)
    return list(query.paginate(page, size)), page, page_count, total


@bp.route("/healthz")
def health():
    """A fixed answer for monitoring (and the load test's baseline): the app is up."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/")
@role_required(*ROLES)
def home():
    """Each role's start: the cashier goes to the POS, a grower to their own pages; others see what to do next."""
    landing = hooks.landing(g.user.role)
    if landing:
        return redirect(url_for(landing))
    counts = {
        "households": Household.select().count(),
        "growers": Household.select().where(Household.grower_status == "active").count(),
        "plots": Plot.select().count(),
        "products": Product.select().where(Product.is_active == True).count(),  # noqa: E712
    }
    # A greeting names the person, or else their role: never the username ("council").
    return render_template("core/home.html", counts=counts, tasks=hooks.home_tasks(g.user), roles=ROLES)


# Households -------------------------------------------------------------------------------


@bp.route("/households")
@role_required("admin", "inspector")
def household_list():
    query = households.search_households(
        request.args.get("q", ""),
        filter_number("village", households.MAX_VILLAGE_NO),
        request.args.get("status") or None,
        filter_number("group"),
    )
    rows, page, page_count, total = page_of(query)
    return render_template(
        "core/household_list.html",
        households=rows,
        page=page,
        page_count=page_count,
        total=total,
        villages=households.villages(),
        groups=OccupationGroup.select().order_by(OccupationGroup.name_th),
        statuses=GROWER_STATUSES,
    )


def _render_household_form(household, values, errors, status=200):
    return render_template(
        "core/household_form.html",
        household=household,
        values=values,
        errors=errors,
        groups=OccupationGroup.select().order_by(OccupationGroup.name_th),
        statuses=GROWER_STATUSES,
    ), status


@bp.route("/households/new", methods=["GET", "POST"])
@role_required("admin")
def household_new():
    return form_page(
        partial(_render_household_form, None),
        lambda data: households.create_household(data, g.user),
        lambda household: saved(url_for("core.household_detail", household_id=household.id),
                                _("Household %(code)s registered.", code=household.code)),
        initial={"grower_status": "none", "occupation_group_ids": []},
        values=form_data(),
    )


def _render_household_detail(household, values=None, errors=None, status=200, account_values=None,
                             account_errors=None):
    """The household page; `values` and `errors` are those of the form that adds a member, `account_*`
    those of the form that adds a grower's account."""
    return render_template(
        "core/household_detail.html",
        household=household,
        groups=[m.group for m in household.occupations],
        members=household.members.order_by(Member.id),
        plots=household.plots.order_by(Plot.name),
        statuses=GROWER_STATUSES,
        member_values=values or {},
        member_errors=errors or {},
        courses=programme.courses_taken(household),
        grower_accounts=invitations.household_accounts(household) if g.user.role == "admin" else [],
        account_values=account_values or {},
        account_errors=account_errors or {},
        sections=[Markup(render_template(template, household=household, **context))
                  for template, context in hooks.household_sections(household, g.user)],
    ), status


@bp.route("/households/<int:household_id>")
@role_required("admin", "inspector")
def household_detail(household_id):
    return _render_household_detail(get_or_404(Household, household_id))


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def household_edit(household_id):
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render_household_form, household),
        lambda data: households.update_household(household, data, g.user),
        lambda _result: saved(url_for("core.household_detail", household_id=household.id), _("Changes saved.")),
        initial=households.household_record(household, include_sensitive=True) if request.method == "GET" else None,
        values=form_data(),
    )


@bp.route("/households/<int:household_id>/members", methods=["POST"])
@role_required("admin")
def member_add(household_id):
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render_household_detail, household),
        lambda data: households.add_member(household, data, g.user),
        lambda _member: saved(url_for("core.household_detail", household_id=household.id), _("Member added.")),
    )


@bp.route("/members/<int:member_id>/delete", methods=["POST"])
@role_required("admin")
def member_remove(member_id):
    member = get_or_404(Member, member_id)
    households.remove_member(member, g.user)
    flash(_("Member removed."), "success")
    return redirect(url_for("core.household_detail", household_id=member.household_id))


@bp.route("/households/<int:household_id>/history")
@role_required("admin")
def household_history(household_id):
    household = get_or_404(Household, household_id)
    return render_template(
        "core/audit_list.html",
        entries=audit.entries("household", household.id),
        title=_("Change history of %(code)s", code=household.code),
        describe=audit.describe,
        subject=audit.subject,
        actions=audit.ACTIONS,
        entities=audit.ENTITIES,
    )


# Plots ------------------------------------------------------------------------------------


def _render_plot_form(household, plot, values, errors, status=200):
    return render_template(
        "core/plot_form.html", household=household, plot=plot, values=values, errors=errors
    ), status


@bp.route("/households/<int:household_id>/plots/new", methods=["GET", "POST"])
@role_required("admin")
def plot_new(household_id):
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render_plot_form, household, None),
        lambda data: households.create_plot(household, data, g.user),
        lambda _plot: saved(url_for("core.household_detail", household_id=household.id), _("Plot saved.")),
    )


@bp.route("/plots/<int:plot_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def plot_edit(plot_id):
    plot = get_or_404(Plot, plot_id)
    rai, ngan, wa = area_parts(plot.area_m2)
    return form_page(
        partial(_render_plot_form, plot.household, plot),
        lambda data: households.update_plot(plot, data, g.user),
        lambda _plot: saved(url_for("core.household_detail", household_id=plot.household_id), _("Plot saved.")),
        initial=dict(households.PlotAnswer.dump(plot), rai=rai, ngan=ngan, wa=wa),
    )


# Occupation groups ------------------------------------------------------------------------


@bp.route("/occupation-groups", methods=["GET", "POST"])
@role_required("admin")
def occupation_groups():
    group_id = request.form.get("id", type=int)
    group = get_or_404(OccupationGroup, group_id) if group_id else None
    return form_page(
        _render_occupation_groups,
        lambda data: households.save_occupation_group(data, g.user, group),
        lambda _group: saved(url_for("core.occupation_groups"), _("Occupation group saved.")),
    )


def _render_occupation_groups(values, errors, status):
    return render_template(
        "core/occupation_groups.html",
        groups=households.occupation_groups_with_counts(),
        synonyms=households.synonyms_by_group(),
        errors=errors,
        values=values,
    ), status


@bp.route("/occupation-synonyms/<int:synonym_id>/delete", methods=["POST"])
@role_required("admin")
def occupation_synonym_remove(synonym_id):
    """Forget a word matched to the wrong group; the next import asks for it again."""
    households.remove_occupation_synonym(get_or_404(OccupationSynonym, synonym_id), g.user)
    flash(_("The word was removed; the next import will ask what it means."), "success")
    return redirect(url_for("core.occupation_groups"))


# Products ---------------------------------------------------------------------------------


@bp.route("/products")
@login_required
def product_list():
    query = products.search_products(request.args.get("q", ""), request.args.get("category") or None)
    rows, page, page_count, total = page_of(query)
    return render_template(
        "core/product_list.html",
        products=rows,
        page=page,
        page_count=page_count,
        total=total,
        categories=CATEGORIES,
        units=UNITS,
    )


def _render_product_form(product, values, errors, status=200):
    return render_template(
        "core/product_form.html",
        product=product,
        values=values,
        errors=errors,
        categories=CATEGORIES,
        units=UNITS,
    ), status


@bp.route("/products/new", methods=["GET", "POST"])
@role_required("admin")
def product_new():
    return form_page(
        partial(_render_product_form, None),
        lambda data: products.create_product(data, g.user),
        lambda _product: saved(url_for("core.product_list"), _("Product saved.")),
        initial={"is_certifiable": True, "is_active": True},
    )


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def product_edit(product_id):
    product = get_or_404(Product, product_id)
    values = products.ProductAnswer.dump(product)
    if product.default_price_satang is not None:
        # Satang to baht without float: 1250 → Decimal("12.50").
        values["default_price"] = f"{Decimal(product.default_price_satang).scaleb(-2):f}"
    return form_page(
        partial(_render_product_form, product),
        lambda data: products.update_product(product, data, g.user),
        lambda _product: saved(url_for("core.product_list"), _("Product saved.")),
        initial=values,
    )


# Grower accounts (from the household's page) ----------------------------------------------


def _grower_account(user_id):
    account = get_or_404(User, user_id)
    if account.role != "grower":
        abort(404)
    return account


@bp.route("/households/<int:household_id>/accounts", methods=["POST"])
@role_required("admin")
def grower_account_add(household_id):
    household = get_or_404(Household, household_id)
    return form_page(
        lambda values, errors, status: _render_household_detail(household, status=status, account_values=values,
                                                                account_errors=errors),
        lambda values: invitations.add_grower_account(household, values, g.user),
        lambda account: saved(url_for("core.household_detail", household_id=household.id) + "#accounts",
                              _("Account %(name)s made. Print its invitation card and give it to the member.",
                                name=account.username)),
    )


@bp.route("/accounts/<int:user_id>/invitation", methods=["POST"])
@role_required("admin")
def grower_invitation(user_id):
    """Print a new invitation card (a PDF); the account's earlier card stops working."""
    account = _grower_account(user_id)
    try:
        invitation, token = invitations.issue_invitation(account, g.user)
    except ValidationError as exc:
        flash(" ".join(str(message) for message in exc.errors.values()), "error")
        return redirect(url_for("core.household_detail", household_id=account.household_id) + "#accounts"), 303
    link = current_app.config["GREENMARKET_BASE_URL"] + url_for("auth.invitation", token=token)
    return Response(invitations.invitation_card(account, link, invitation.expires_at), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="invitation-{account.username}.pdf"',
                             "Cache-Control": "no-store"})


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
@role_required("admin")
def grower_account_disable(user_id):
    account = invitations.disable_grower_account(_grower_account(user_id), g.user)
    flash(_("Account %(name)s disabled: it cannot sign in, and its invitation cards no longer work.",
            name=account.username), "success")
    return redirect(url_for("core.household_detail", household_id=account.household_id) + "#accounts")


@bp.route("/households/<int:household_id>/grower-labels", methods=["POST"])
@role_required("admin")
def household_grower_labels(household_id):
    household = households.set_grower_prints_labels(get_or_404(Household, household_id),
                                                    request.form.get("allowed") == "1", g.user)
    flash(_("Changes saved."), "success")
    return redirect(url_for("core.household_detail", household_id=household.id) + "#accounts")


# Staff accounts ---------------------------------------------------------------------------


@bp.route("/users")
@role_required("admin")
def user_list():
    return render_template(
        "core/user_list.html", users=User.select().where(User.role.in_(STAFF_ROLES)).order_by(User.username), roles=ROLES
    )


def _render_user_form(account, values, errors, status=200):
    return render_template(
        "core/user_form.html", account=account, values=values, errors=errors,
        roles={role: ROLES[role] for role in STAFF_ROLES}
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    return form_page(
        partial(_render_user_form, None),
        lambda data: accounts.create_user(data, g.user),
        lambda account: saved(url_for("core.user_list"), _("Account %(name)s created.", name=account.username)),
        initial={"role": "cashier", "is_active": True},
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id):
    account = get_or_404(User, user_id)
    # Unchecked boxes are not posted at all.
    data = dict({"is_active": "", "is_committee": ""}, **request.form.to_dict())

    def done(_account):
        if account.id == g.user.id:  # a new password of one's own ends other sessions, not this one
            session[SECRET_MARK] = secret_mark(account)
        return saved(url_for("core.user_list"), _("Changes saved."))

    return form_page(
        partial(_render_user_form, account),
        lambda data: accounts.update_user(account, data, g.user),
        done,
        initial={"full_name": account.full_name, "role": account.role, "is_active": account.is_active,
                 "is_committee": account.is_committee},
        values=data,
    )


# Audit log --------------------------------------------------------------------------------


@bp.route("/audit")
@role_required("admin")
def audit_log():
    query = audit.entries(request.args.get("entity") or None)
    rows, page, page_count, total = page_of(query)
    return render_template(
        "core/audit_list.html",
        entries=rows,
        page=page,
        page_count=page_count,
        title=_("Audit log"),
        describe=audit.describe,
        subject=audit.subject,
        actions=audit.ACTIONS,
        entities=audit.ENTITIES,
    )


# Spreadsheet import and export ------------------------------------------------------------

def _import_folder():
    """The owner-only folder of uploaded import files, cleared of those older than a day."""
    folder = os.path.join(current_app.instance_path, "imports")
    owner_only_folder(folder)
    retention.remove_old_import_files(folder)
    return folder


def _render_import_upload(status=200):
    thai = current_language() == "th"  # a Thai page lists the Thai header words, an English one the rest
    columns = {field: [word for word in words if bool(re.search("[\u0e00-\u0e7f]", word)) == thai]
               for field, words in registry_io.COLUMNS.items()}
    return render_template(
        "core/household_import.html",
        columns=columns,
        labels=registry_io.FIELD_LABELS,
        pending=registry_io.pending_imports(),
    ), status


def _own_import(token):
    """The kept upload, or None after telling the user to upload again."""
    upload = registry_io.find_import(token, _import_folder())
    if upload is None:
        flash(_("The uploaded file is no longer here. Upload it again."), "error")
    return upload


@bp.route("/households/import", methods=["GET", "POST"])
@role_required("admin")
def household_import():
    """Step 1: upload a spreadsheet; it is kept for the mapping and preview steps."""
    if request.method == "GET":
        return _render_import_upload()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file to upload."), "error")
        return _render_import_upload(400)
    try:
        kept = registry_io.start_import(upload.filename, upload.read(), g.user, _import_folder())
    except registry_io.ImportFileError as exc:
        flash(str(exc.message), "error")
        return _render_import_upload(400)
    return redirect(url_for("core.household_import_mapping", token=kept.token), 303)


@bp.route("/households/import/<token>", methods=["GET", "POST"])
@role_required("admin")
def household_import_mapping(token):
    """Step 2: the field each column feeds and what the words of the sheet mean, as proposed or changed."""
    upload = _own_import(token)
    if upload is None:
        return redirect(url_for("core.household_import"), 303)
    errors, status = {}, 200
    if request.method == "POST":
        words = list(zip(request.form.getlist("word_field"), request.form.getlist("word"),
                         request.form.getlist("word_choice")))
        try:
            registry_io.save_mapping(upload, request.form.get("header_line", type=int) or 0,
                                     request.form.getlist("column"), words, g.user, _import_folder())
        except ValidationError as exc:
            errors, status = exc.errors, 400
        else:
            if request.form.get("action") == "preview":
                return redirect(url_for("core.household_import_preview", token=upload.token), 303)
            return redirect(url_for("core.household_import_mapping", token=upload.token), 303)
    state = registry_io.import_state(upload, _import_folder())
    return render_template(
        "core/household_import_mapping.html",
        upload=upload,
        state=state,
        labels=registry_io.FIELD_LABELS,
        categories=registry_io.CATEGORIES,
        errors=errors,
    ), status


@bp.route("/households/import/<token>/preview")
@role_required("admin")
def household_import_preview(token):
    """Step 3: every row checked with the mapping; every bad row listed with its line and how to fix it."""
    upload = _own_import(token)
    if upload is None:
        return redirect(url_for("core.household_import"), 303)
    try:
        records, problems = registry_io.preview_import(upload, _import_folder())
    except registry_io.ImportFileError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("core.household_import_mapping", token=upload.token), 303)
    state = registry_io.import_state(upload, _import_folder())
    headers = {column["field"]: column["header"] or column["letter"] for column in state["columns"] if column["field"]}
    return render_template(
        "core/household_import_preview.html",
        upload=upload,
        records=records,
        problems=problems,
        headers=headers,
        labels=registry_io.FIELD_LABELS,
        groups={group.id: local_name(group) for group in OccupationGroup.select()},
    )


@bp.route("/households/import/<token>/commit", methods=["POST"])
@role_required("admin")
def household_import_commit(token):
    """Step 4: import the previewed file, every row or none; the kept file is deleted."""
    upload = _own_import(token)
    if upload is None:
        return redirect(url_for("core.household_import"), 303)
    try:
        count = registry_io.commit_import(upload, g.user, _import_folder())
    except (ValidationError, registry_io.ImportFileError):
        flash(_("The data changed since the preview; nothing was imported. Check the preview again."), "error")
        return redirect(url_for("core.household_import_preview", token=upload.token), 303)
    flash(_("%(n)d households imported.", n=count), "success")
    return redirect(url_for("core.household_list"))


@bp.route("/households/import/<token>/discard", methods=["POST"])
@role_required("admin")
def household_import_discard(token):
    """Give up an import: the kept file is deleted at once."""
    upload = registry_io.find_import(token, _import_folder())
    if upload is not None:
        registry_io.discard_import(upload, _import_folder())
    flash(_("The uploaded file was deleted; nothing was imported."), "success")
    return redirect(url_for("core.household_import"), 303)


@bp.route("/households/export.<fmt>")
@role_required("admin")
def household_export(fmt):
    """Download the registry, personal data included (admin only)."""
    stamp = local_today().isoformat()
    if fmt == "csv":
        body, mimetype = registry_io.export_csv(), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = registry_io.export_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="households-{stamp}.{fmt}"'},
    )


# The council's programme: courses and income surveys ---------------------------------------


@bp.route("/courses", methods=["GET", "POST"])
@role_required("admin")
def course_list():
    return form_page(
        _render_courses,
        lambda data: programme.create_course(data, g.user),
        lambda course: saved(url_for("core.course_detail", course_id=course.id)),
    )


def _render_courses(values, errors, status):
    courses = Course.select().order_by(Course.curriculum, Course.starts_on)
    return render_template("core/courses.html", courses=courses, curricula=CURRICULA, values=values,
                           errors=errors), status


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@role_required("admin")
def course_detail(course_id):
    course = get_or_404(Course, course_id)
    return form_page(
        partial(_render_course, course),
        partial(_record_for_course, course),
        lambda _result: saved(url_for("core.course_detail", course_id=course.id), _("Saved.")),
    )


def _record_for_course(course, data):
    """Save what the course page's chosen form (`action`) records: a signup, a session or attendance."""
    action = data.get("action")
    if action == "signup":
        return programme.sign_up(course, data, g.user)
    if action == "session":
        return programme.add_session(course, data, g.user)
    if action == "attendance":
        session = get_or_404(CourseSession, request.form.get("session_id", type=int) or 0)
        if session.course_id != course.id:
            raise ValidationError({"session_id": _("Choose a session of this course.")})
        return programme.record_attendance(session, request.form.getlist("household_ids"), g.user)
    raise ValidationError({"action": _("Choose what to record.")})


def _render_course(course, values, errors, status):
    signups = list(CourseSignup.select(CourseSignup, Household).join(Household)
                   .where(CourseSignup.course == course).order_by(Household.code))
    sessions = list(course.sessions.order_by(CourseSession.held_on))
    present = {(a.session_id, a.household_id) for a in Attendance.select().join(CourseSession)
               .where(CourseSession.course == course)}
    candidates = Household.select().order_by(Household.village_no, Household.code)
    return render_template("core/course.html", course=course, curricula=CURRICULA, signups=signups,
                           sessions=sessions, present=present, candidates=candidates, errors=errors), status


@bp.route("/households/<int:household_id>/surveys", methods=["GET", "POST"])
@role_required("admin")
def household_surveys(household_id):
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render_surveys, household),
        lambda data: programme.save_survey(household, data, g.user),
        lambda _survey: saved(url_for("core.household_surveys", household_id=household.id), _("Survey saved.")),
        initial={"surveyed_on": local_today()},
    )


def _render_surveys(household, values, errors, status):
    surveys = household.income_surveys.order_by(IncomeSurvey.surveyed_on)
    return render_template("core/surveys.html", household=household, surveys=surveys, values=values,
                           errors=errors), status
