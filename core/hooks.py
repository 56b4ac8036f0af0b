"""What a domain adds to core's pages without core naming it: menu entries, home-page tasks, a
role's landing page, sections of the household page, the harvests of a household's farm log, and
the pages a lower layer links to by purpose (a household's batches, a batch's sales).

Imports go one way (reports -> market -> traceability -> certificates -> core), so core's base template and
home page cannot name a higher layer's pages. Each domain registers its own in its `init_app`;
core reads what the app holds. Everything is kept on the app, so two apps in one process (the
tests) never see each other's entries.
"""
import dataclasses

from flask import current_app, g, url_for

# The menu's groups, in the order of the work; a group nobody registered an entry in is not shown.
MENU_GROUPS = ("registry", "certification", "harvests", "market", "reports", "settings")


@dataclasses.dataclass(frozen=True)
class MenuEntry:
    """One page in the staff menu: under which group, for which roles."""

    group: str
    endpoint: str
    label: object  # a lazy gettext string
    roles: tuple
    args: tuple = ()  # (name, value) pairs for url_for

    @property
    def url(self):
        return url_for(self.endpoint, **dict(self.args))


@dataclasses.dataclass(frozen=True)
class Task:
    """One line of a home page's to-do list: what to do, how many, and where it is done."""

    label: str
    count: int
    url: str
    testid: str


def _registry(app=None):
    return (app or current_app).extensions.setdefault("greenmarket_hooks", {
        "menu": [], "group_labels": {}, "tasks": [], "landing": {}, "farm_harvests": [], "household_sections": [],
        "pages": {}})


def add_menu_group_label(app, group, label):
    """Name a menu group (core names them all; a domain may name a group it adds)."""
    _registry(app)["group_labels"][group] = label


def add_menu_entry(app, group, endpoint, label, roles, **args):
    """Put a page in the staff menu under `group`, for the given roles."""
    assert group in MENU_GROUPS, group
    _registry(app)["menu"].append(MenuEntry(group, endpoint, label, tuple(roles), tuple(args.items())))


def add_home_tasks(app, function):
    """Register `function(user) -> [Task]`: what a signed-in person should do next, for the home page."""
    _registry(app)["tasks"].append(function)


def set_landing(app, role, endpoint):
    """Send `role` to `endpoint` instead of the home page after signing in (the cashier to the POS)."""
    _registry(app)["landing"][role] = endpoint


def add_household_section(app, template, function):
    """Show `template` on the household page, with the context `function(household, user)` returns."""
    _registry(app)["household_sections"].append((template, function))


def add_farm_harvests(app, function):
    """Register `function(household) -> [records.FarmEntry]`: harvests kept by a higher layer."""
    _registry(app)["farm_harvests"].append(function)


def add_page(app, purpose, function):
    """Offer a page for `purpose` ("household_batches", "batch_sales", ...): `function(*args) -> url`.

    A lower layer links to the purpose with `page_url`, never to the higher layer's endpoint, and
    shows no link when no domain of this app offers the page.
    """
    _registry(app)["pages"][purpose] = function


def page_url(purpose, *args, **kwargs):
    """The address of the page a domain offers for `purpose`, or None when none does."""
    function = _registry()["pages"].get(purpose)
    return function(*args, **kwargs) if function is not None else None


def menu(user=None):
    """The staff menu for `user` (default: who is signed in): [(group label, [MenuEntry])], in order."""
    user = user if user is not None else g.get("user")
    if user is None:
        return []
    registry = _registry()
    groups = []
    for group in MENU_GROUPS:
        entries = [entry for entry in registry["menu"] if entry.group == group and user.has_role(*entry.roles)]
        if entries:
            groups.append((group, registry["group_labels"].get(group, group), entries))
    return groups


def home_tasks(user):
    """Every registered task list for `user`, in registration order (core, certificates, ...)."""
    return [task for function in _registry()["tasks"] for task in function(user)]


def landing(role):
    """The endpoint `role` starts on, or None for the home page."""
    return _registry()["landing"].get(role)


def farm_harvests(household):
    """The household's harvests as farm-log entries, from every registered source."""
    return [entry for function in _registry()["farm_harvests"] for entry in function(household)]


def household_sections(household, user):
    """[(template, context)] of every section a domain adds to this household's page."""
    return [(template, function(household, user)) for template, function in _registry()["household_sections"]]
