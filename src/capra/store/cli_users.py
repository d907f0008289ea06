"""``capra user``: accounts of the web application and the API (parses and formats only;
:mod:`capra.store.accounts` does the work)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from capra.console import cli_errors as _errors
from capra.console import err_console, out_console

app = typer.Typer(help="Accounts of the web application: users, roles, API tokens.\n\n"
                       "Example: capra user add kim --role farm --farm Kangso --db capra.db",
                  no_args_is_help=True)

Db = Annotated[Optional[str], typer.Option(
    "--db", help="Database: a SQLite file or a URL such as "
                 "postgresql+psycopg://user:password@host/capra. Default: capra.db here.")]
By = Annotated[Optional[str], typer.Option(
    "--by", help="Who makes the change, for the audit log. Default: the OS user.")]


def _open(db):
    from capra.store.db import open_db
    return open_db(db)


def _read_password() -> str:
    """The password from standard input: asked twice on a terminal, else the first line."""
    from capra.errors import CapraError

    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise CapraError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (unique).")],
    role: Annotated[str, typer.Option(
        "--role", help="admin, manager, farm, vet, nutrition or viewer.")],
    farm: Annotated[Optional[list[str]], typer.Option(
        "--farm", help="A farm the user keeps (farm and vet roles; repeat for several).")] = None,
    db: Db = None,
    by: By = None,
) -> None:
    """Add a user. The password is read from standard input (asked twice on a terminal),
    never from the command line.

    Example: capra user add kim --role farm --farm Kangso --farm Chollima --db capra.db

    Example: printf '%s\\n' "$PASSWORD" | capra user add lee --role manager
    """
    with _errors():
        from capra.store.accounts import create_user

        user = create_user(_open(db), name, role, _read_password(), farms=farm or (), by=by)
        farms = f" (farms: {', '.join(user.farm_names)})" if user.farm_names else ""
        out_console.print(f"added user {escape(user.name)}, role {user.role}{escape(farms)}")


@app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="User name.")],
    revoke: Annotated[bool, typer.Option(
        "--revoke", help="Revoke every token of the user instead of making one.")] = False,
    db: Db = None,
    by: By = None,
) -> None:
    """Print a new API token for a user (shown once; only its hash is kept), or revoke
    the user's tokens.

    Example: capra user token kim --db capra.db

    Example: capra user token kim --revoke
    """
    with _errors():
        from capra.store.accounts import new_token, revoke_tokens

        db = _open(db)
        if revoke:
            n = revoke_tokens(db, name, by=by)
            out_console.print(f"revoked {n} token{'s' if n != 1 else ''} of {escape(name)}")
            return
        sys.stdout.write(new_token(db, name, by=by) + "\n")
        err_console.print("keep it secret: it gives the user's permissions through the API "
                          "(Authorization: Bearer TOKEN)")


@app.command("list")
def list_cmd(db: Db = None) -> None:
    """List the users, their roles, farms and active tokens.

    Example: capra user list --db capra.db
    """
    with _errors():
        from capra.store.accounts import list_users

        df = list_users(_open(db))
        t = Table(title=f"{len(df)} users")
        for c in ("name", "role", "farms", "active", "tokens", "created (UTC)"):
            t.add_column(c, justify="right" if c == "tokens" else "left")
        for r in df.itertuples(index=False):
            t.add_row(escape(r.name), r.role, escape(r.farms), "yes" if r.active else "no",
                      str(r.tokens), str(r.created_at)[:16])
        out_console.print(t)


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="User name.")], db: Db = None,
            by: By = None) -> None:
    """Disable a user: no more sign-ins, sessions ended, tokens revoked.

    Example: capra user disable kim --db capra.db
    """
    with _errors():
        from capra.store.accounts import disable_user

        disable_user(_open(db), name, by=by)
        out_console.print(f"disabled {escape(name)}")


def register(main_app: typer.Typer) -> None:
    """Add the ``user`` command group to the main ``capra`` command."""
    main_app.add_typer(app, name="user")
