"""What core puts in the staff menu (the registry, accounts, the audit log) and on the home page.

The menu's groups are named here, in the order of the work; each domain adds its own pages
and tasks from its own `home.py`.
"""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import hooks, registry_io

GROUP_LABELS = {
    "registry": _l("Registry"),
    "certification": _l("Certification"),
    "harvests": _l("Harvests and labels"),
    "market": _l("Market"),
    "reports": _l("Reports"),
    "settings": _l("Settings"),
}


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
    # A grower's own pages (when installed) set their own landing after this one.
    hooks.set_landing(app, "grower", "auth.account_ready")
    app.jinja_env.globals["staff_menu_groups"] = hooks.menu
    app.jinja_env.globals["page_url"] = hooks.page_url


def tasks(user):
    """The secretariat's half-done household import."""
    if user.role != "admin":
        return []
    waiting = len(registry_io.pending_imports())
    if not waiting:
        return []
    return [hooks.Task(_("A household import is half done: finish it or upload the sheet again"), waiting,
                       url_for("core.household_import"), "task-import")]
