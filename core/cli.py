"""The command line: `python run.py` serves the market; subcommands set up and look after it."""
import importlib
import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import click
from flask_babel import lazy_gettext as _l

from core.app import create_app
from core.config import ConfigurationError
from core.db import SchemaTooNew, db, is_sqlite, start_wal_checkpoints
from core.models import ROLES
from core.validation import ValidationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
# Threads serving requests at once: a few counters, phones and the office fit comfortably.
SERVER_THREADS = 8


def _app():
    try:
        return create_app()
    except (SchemaTooNew, ConfigurationError) as exc:
        _fail(str(exc))


def _fail(message):
    click.echo(message, err=True)
    sys.exit(1)


def _errors_text(exc):
    return "; ".join(f"{field}: {message}" for field, message in exc.errors.items())


@click.group(invoke_without_command=True, help="Khlong Hae green market. With no command, serve the app.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on; 0.0.0.0 for the market's LAN.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.pass_context
def cli(ctx, host, port):
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve, host=host, port=port)


@cli.command(help="Serve the app with waitress (the default command).")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
def serve(host, port):
    from waitress import serve as waitress_serve

    from core.models import User

    started = time.perf_counter()
    app = _app()
    with db.connection_context():
        has_admin = User.select().where(User.role == "admin").exists()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"Green market ready in {time.perf_counter() - started:.2f} s")
    click.echo(f"Database: {app.config['DATABASE_URL']}")
    click.echo(f"Open http://{shown}:{port}/ in a browser (Ctrl+C stops the server).")
    if not has_admin:
        click.echo("No admin account yet. Create the first one with:")
        click.echo("    python run.py create-user admin --role admin")
    if is_sqlite():
        start_wal_checkpoints()
    waitress_serve(app, host=host, port=port, threads=SERVER_THREADS, ident="greenmarket")


@cli.command("init-db", help="Create or upgrade the database schema, keeping all data.")
def init_db():
    app = _app()
    click.echo(f"Schema is up to date: {app.config['DATABASE_URL']}")


@cli.command("create-user", help="Create an account. The password is asked, or read from stdin; a grower's "
                                  "account is set up from its invitation card instead.")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--household", "household_code", default="", help="A grower's household code (growers only).")
@click.option("--full-name", default="", help="Name shown in the app.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, household_code, full_name, password_stdin):
    from core import accounts
    from core.models import Household

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif role == "grower":
        password = ""
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app()
    with app.test_request_context(), db.connection_context():
        household = None
        if household_code:
            household = Household.get_or_none(Household.code == household_code)
            if household is None:
                _fail(f"Not created: no household with code {household_code}.")
        try:
            user = accounts.create_user(
                {"username": username, "role": role, "full_name": full_name, "password": password}, household=household
            )
        except ValidationError as exc:
            _fail(f"Not created: {_errors_text(exc)}")
    click.echo(f"Created {user.username} ({user.role}).")
    if role == "grower" and not password:
        click.echo("Print the invitation card from the household's page to set the account up.")


@cli.command("create-token", help="Print a new API token for USERNAME (only the token).")
@click.argument("username")
def create_token(username):
    from core import accounts

    _app()
    with db.connection_context():
        click.echo(accounts.create_token(_account(username, active=True)))


@cli.command("revoke-tokens", help="Revoke every API token of USERNAME (for a lost tablet or a leaked token).")
@click.argument("username")
def revoke_tokens(username):
    from core import accounts

    _app()
    with db.connection_context():
        click.echo(f"{accounts.revoke_tokens(_account(username))} token(s) revoked for {username}.")


def _account(username, active=False):
    """The account named `username`, or stop with a message; with `active`, a disabled account does not count."""
    from core.models import User

    user = User.get_or_none(User.username == username)
    if user is None or (active and not user.is_active):
        _fail(f"No active account named {username}." if active else f"No account named {username}.")
    return user


@cli.command(help="Apply the retention rule: remove import files older than a day, sign-in attempts older than "
                  "90 days and views of personal data older than two years. Run it daily (see README).")
def maintenance():
    from core import retention

    app = _app()
    with app.app_context(), db.connection_context():
        removed = retention.apply_retention(app.instance_path)
    click.echo(", ".join(f"{kind}: {count} removed" for kind, count in removed.items()))


@cli.command(help="Fill the database with a realistic demo data set (safe to run again).")
def demo():
    from core.demo import load_demo_data

    app = _app()
    with app.test_request_context(), db.connection_context():
        added = load_demo_data()
        # Each domain may add its part of the story on top of core's households.
        for name in app.extensions["greenmarket_domains"]:
            if importlib.util.find_spec(f"{name}.demo") is not None:
                added.update(importlib.import_module(f"{name}.demo").load_demo_data())
    click.echo("Demo data added: " + ", ".join(f"{name} {count}" for name, count in added.items()))


@cli.command(help="Compile the translations (translations/*/LC_MESSAGES/messages.po to .mo), as pybabel compile does.")
def translations():
    from core import i18n

    compiled = i18n.compile_catalogs()
    for language, problems in compiled.items():
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{language}: compiled")
    if not compiled:
        click.echo("Up to date: every .mo is newer than its .po.")
    if any(compiled.values()):
        sys.exit(1)


class BackupFailed(Exception):
    """The copy could not be written; the message says why and what to do."""


def _pg_dump_url(url):
    """The URL for pg_dump, which reads libpq's postgresql:// but not peewee's postgres+pool:// or postgresext://."""
    return "postgresql://" + url.split("://", 1)[1]


def _copy_sqlite(file):
    target = sqlite3.connect(file)
    try:
        db.connection().backup(target)  # SQLite's online backup: consistent, WAL included
    except sqlite3.Error as exc:
        raise BackupFailed(_l("The copy failed: %(reason)s", reason=str(exc))) from None
    finally:
        target.close()


def _run_client_tool(arguments, missing, failed):
    """Run a PostgreSQL client tool; a missing tool says `missing`, a failure says `failed(its error output)`."""
    try:
        result = subprocess.run(arguments, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupFailed(missing) from None
    if result.returncode != 0:
        raise BackupFailed(failed(result.stderr.strip()))


def _copy_postgresql(url, file):
    _run_client_tool(
        ["pg_dump", "--format=custom", f"--file={file}", _pg_dump_url(url)],
        _l("pg_dump was not found. Install the PostgreSQL client tools (Debian: postgresql-client) and try again."),
        lambda reason: _l("pg_dump failed: %(reason)s", reason=reason))


@cli.command(help="Write a consistent copy of the database to FILE while the app keeps running.")
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file):
    app = _app()
    with app.app_context():  # messages in the app's language
        try:
            # Claim the name first, so an existing file is never overwritten, not even in a race.
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            _fail(str(_l("%(file)s already exists; choose a new file name.", file=file)))
        except OSError as exc:
            _fail(str(_l("Cannot write %(file)s: %(reason)s", file=file, reason=exc.strerror)))
        try:
            with db.connection_context():
                if is_sqlite():
                    _copy_sqlite(file)
                else:
                    _copy_postgresql(app.config["DATABASE_URL"], file)
        except BackupFailed as exc:
            os.remove(file)  # a half-written copy must not pass for a backup
            _fail(str(exc.args[0]))
        _copy_folders(app.instance_path, _files_of(file))
        click.echo(str(_l("Backup written to %(file)s", file=file)))


# Folders under instance/ holding files the database refers to (certification's evidence photos,
# named by their content hash). A backup FILE keeps them in FILE.files/ beside it.
FILE_FOLDERS = ("evidence",)


def _files_of(file):
    return f"{file}.files"


def _copy_folders(source_root, target_root):
    """Copy the kept folders from one root to another; content-named files already there are left alone."""
    for name in FILE_FOLDERS:
        source = os.path.join(source_root, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(target_root, name), dirs_exist_ok=True,
                            copy_function=_copy_if_missing)


def _copy_if_missing(source, target):
    if not os.path.exists(target):
        shutil.copy2(source, target)
    return target


def _has_data():
    """True when the live database already holds anything (a user, a household, a sale ...)."""
    from core.models import Household, User

    return User.select().exists() or Household.select().exists()


def _restore_sqlite(file):
    """Copy a backup over the live SQLite database with SQLite's backup API, after checking it."""
    try:
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupFailed(_l("%(file)s cannot be opened: %(reason)s", file=file, reason=str(exc))) from None
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupFailed(_l("%(file)s is damaged (integrity check failed); nothing was restored.", file=file))
        if not source.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone():
            raise BackupFailed(_l("%(file)s is not a backup of this market's database; nothing was restored.", file=file))
        source.backup(db.connection())
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(_l("%(file)s is not a backup of this market's database; nothing was restored.", file=file)) from exc
    finally:
        source.close()


def _restore_postgresql(url, file):
    _run_client_tool(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_pg_dump_url(url)}",
         file],
        _l("pg_restore was not found. Install the PostgreSQL client tools (Debian: postgresql-client) and try again."),
        lambda reason: _l("pg_restore failed: %(reason)s", reason=reason))


@cli.command(help="Bring back a backup made by `backup`. Refuses to overwrite data without --force.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace the data the database holds now.")
def restore(file, force):
    app = _app()
    with app.app_context():
        with db.connection_context():
            if _has_data() and not force:
                _fail(str(_l("The database already holds data. Run again with --force to replace it with %(file)s.",
                             file=file)))
            try:
                if is_sqlite():
                    _restore_sqlite(file)
                else:
                    _restore_postgresql(app.config["DATABASE_URL"], file)
            except BackupFailed as exc:
                _fail(str(exc.args[0]))
        if os.path.isdir(_files_of(file)):
            _copy_folders(_files_of(file), app.instance_path)
        create_app()  # a backup from an older version gets its schema brought up to date
        click.echo(str(_l("Restored %(file)s.", file=file)))
