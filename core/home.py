"""What core puts in the staff menu (the registry, accounts, the audit log) and on the home page.

The menu's groups are named here, in the order of the work; each domain adds its own pages
and tasks from its own `home.py`.
"""
import datetime
import os

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import hooks

GROUP_LABELS = {
    "registry": _l("Registry"),
    "certification": _l("Certification"),
    "harvests": _l("Harvests and labels"),
    "market": _l("Market"),
    "reports": _l("Reports"),
    "settings": _l("Settings"),
}
# An uploaded household sheet older than this is no longer an import in progress.
IMPORT_KEPT = datetime.timedelta(days=1)


def register(app):
    """Name the menu's groups and add core's pages and tasks."""
    for group, label in GROUP_LABELS.items():
        hooks.add_menu_group_label(app, group, label)
    hooks.add_menu_entry(app, "registry", "core.household_list", _l("Households"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "registry", "core.household_import", _l("Import households"), ("admin",))
    hooks.add_menu_entry(app, "registry", "core.occupation_groups", _l("Occupation groups"), ("admin",))
    hooks.add_menu_entry(app, "registry", "core.product_list", _l("Products"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "registry", "core.course_list", _l("Courses"), ("admin",))
    hooks.add_menu_entry(app, "settings", "core.user_list", _l("Staff accounts"), ("admin",))
    hooks.add_menu_entry(app, "settings", "core.audit_log", _l("Audit log"), ("admin",))
    hooks.add_home_tasks(app, tasks)
    app.jinja_env.globals["staff_menu_groups"] = hooks.menu
    app.jinja_env.globals["page_url"] = hooks.page_url


def imports_in_progress():
    """How many uploaded household sheets wait for their import to be finished (kept at most a day)."""
    folder = os.path.join(current_app.instance_path, "imports")
    if not os.path.isdir(folder):
        return 0
    oldest = datetime.datetime.now().timestamp() - IMPORT_KEPT.total_seconds()
    return sum(1 for name in os.listdir(folder) if os.path.getmtime(os.path.join(folder, name)) >= oldest)


def tasks(user):
    """The secretariat's half-done household import."""
    if user.role != "admin":
        return []
    waiting = imports_in_progress()
    if not waiting:
        return []
    return [hooks.Task(_("A household import is half done: finish it or upload the sheet again"), waiting,
                       url_for("core.household_import"), "task-import")]
