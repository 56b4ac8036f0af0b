"""The command line: `python run.py` serves the market; subcommands set up and look after it."""
import importlib
import importlib.util
import os
import sqlite3
import subprocess
import sys
import time

import click

from core.app import create_app
from core.db import db, is_sqlite
from core.validation import ValidationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
# Threads serving requests at once: a few counters, phones and the office fit comfortably.
SERVER_THREADS = 8


def _app():
    app = create_app()
    return app


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
    waitress_serve(app, host=host, port=port, threads=SERVER_THREADS, ident="greenmarket")


@cli.command("init-db", help="Create or upgrade the database schema, keeping all data.")
def init_db():
    app = _app()
    click.echo(f"Schema is up to date: {app.config['DATABASE_URL']}")


@cli.command("create-user", help="Create a staff account. The password is asked, or read from stdin.")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "cashier", "inspector"]))
@click.option("--full-name", default="", help="Name shown in the app.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, full_name, password_stdin):
    from core import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app()
    with app.test_request_context(), db.connection_context():
        try:
            user = accounts.create_user(
                {"username": username, "role": role, "full_name": full_name, "password": password}
            )
        except ValidationError as exc:
            _fail(f"Not created: {_errors_text(exc)}")
    click.echo(f"Created {user.username} ({user.role}).")


@cli.command("create-token", help="Print a new API token for USERNAME (only the token).")
@click.argument("username")
def create_token(username):
    from core import accounts
    from core.models import User

    _app()
    with db.connection_context():
        user = User.get_or_none(User.username == username)
        if user is None or not user.is_active:
            _fail(f"No active account named {username}.")
        click.echo(accounts.create_token(user))


@cli.command(help="Fill the database with a realistic demo data set (safe to run again).")
def demo():
    from core.app import DOMAIN_PACKAGES
    from core.demo import load_demo_data

    app = _app()
    with app.test_request_context(), db.connection_context():
        added = load_demo_data()
        # Each domain may add its part of the story on top of core's households.
        for name in DOMAIN_PACKAGES:
            if importlib.util.find_spec(f"{name}.demo") is not None:
                added.update(importlib.import_module(f"{name}.demo").load_demo_data())
    click.echo("Demo data added: " + ", ".join(f"{name} {count}" for name, count in added.items()))


@cli.command(help="Write a consistent copy of the database to FILE while the app keeps running.")
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file):
    app = _app()
    if os.path.exists(file):
        _fail(f"{file} already exists; choose a new file name.")
    with db.connection_context():
        if is_sqlite():
            target = sqlite3.connect(file)
            with target:
                db.connection().backup(target)
            target.close()
        else:
            result = subprocess.run(
                ["pg_dump", "--format=custom", f"--file={file}", app.config["DATABASE_URL"]],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                _fail(f"pg_dump failed: {result.stderr.strip()}")
    click.echo(f"Backup written to {file}")
