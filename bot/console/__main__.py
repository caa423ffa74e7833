"""``python -m bot.console users …``: manage support-console staff accounts.

- ``users create --username NAME --role agent|supervisor [--display-name TEXT]``
- ``users list``
- ``users disable NAME`` / ``users enable NAME``
- ``users set-password NAME``

Passwords are asked for twice at the terminal (not echoed), or read from the
first line of standard input with ``--password-stdin`` (for scripts); never as an
argument, which would land in the shell history and the process list.

The database is ``DATABASE_URL`` (as for ``python -m bot.db``) unless
``--database-url`` is given; it must already be migrated (``make db``). Changes
are audited with no account (the operator at the shell). Exit status: 0 done,
1 database problem, 2 bad input (the message says what).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass as getpass_module
import sys
from collections.abc import Callable
from typing import TextIO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from bot.config import get_settings
from bot.console import accounts
from bot.db import migrate
from bot.db.engine import (
    async_session_factory,
    create_async_engine_for,
    create_sync_engine,
    mask_url,
)

EXIT_OK, EXIT_DATABASE, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """Something the operator typed cannot be used; the message says why."""


class NotMigrated(Exception):
    """The database is not at the newest schema."""


def _parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bot.console", description="Manage support-console staff accounts."
    )
    parser.add_argument(
        "--database-url", default=settings.database_url, help="default: DATABASE_URL"
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="users")
    users = groups.add_parser("users", help="staff accounts")
    commands = users.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="create an account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in accounts.StaffRole])
    create.add_argument("--display-name", help="the name shown in the console (default: username)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )

    commands.add_parser("list", help="list the accounts")
    for name, text in (("disable", "stop an account signing in"), ("enable", "allow it again")):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
    set_password = commands.add_parser("set-password", help="set a new password")
    set_password.add_argument("username")
    set_password.add_argument("--password-stdin", action="store_true")
    return parser


def read_password(
    *,
    from_stdin: bool,
    stdin: TextIO,
    getpass: Callable[[str], str],
    interactive: bool,
    username: str,
) -> str:
    """The new password: stdin's first line, or typed twice at the terminal.
    Checked against the policy here, so a typo costs no database round trip."""
    if from_stdin:
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput("no password on standard input")
    else:
        if not interactive:
            raise BadInput("no terminal to ask for the password on: use --password-stdin")
        password = getpass("New password: ")
        if getpass("Repeat it: ") != password:
            raise BadInput("the two passwords differ; nothing changed")
    try:
        accounts.check_password_policy(password, username=username.strip().lower())
    except accounts.AccountError as error:
        raise BadInput(str(error)) from None
    return password


def check_migrated(url: str) -> None:
    """Raises :class:`NotMigrated` unless the database is at Alembic's head."""
    heads = set(ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads())
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current != heads:
        raise NotMigrated(
            f"the database at {mask_url(url)} is not at the newest schema"
            " (run `make db`, or `python -m bot.db upgrade`)"
        )


def _format_accounts(rows: list) -> str:
    if not rows:
        return "no staff accounts yet (create one: python -m bot.console users create …)"
    header = ("username", "role", "status", "last sign-in", "display name")
    lines = [header]
    for account in rows:
        last = (
            account.last_login_at.strftime("%Y-%m-%d %H:%M UTC")
            if account.last_login_at
            else "never"
        )
        status = "disabled" if account.disabled else "active"
        lines.append((account.username, account.role.value, status, last, account.display_name))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True))
        + "  "
        + line[-1]
        for line in lines
    )


async def _run(args: argparse.Namespace, password: str | None) -> str:
    engine = create_async_engine_for(args.database_url)
    try:
        async with async_session_factory(engine)() as session, session.begin():
            if args.command == "create":
                account = await accounts.create_account(
                    session,
                    args.username,
                    password or "",
                    args.role,
                    display_name=args.display_name,
                )
                return f"created {account.role.value} account {account.username!r}"
            if args.command == "list":
                return _format_accounts(await accounts.list_accounts(session))
            if args.command == "disable":
                account = await accounts.disable_account(session, args.username)
                return f"disabled {account.username!r} and signed it out everywhere"
            if args.command == "enable":
                account = await accounts.enable_account(session, args.username)
                return f"enabled {account.username!r}"
            if args.command == "set-password":
                account = await accounts.set_password(session, args.username, password or "")
                return f"new password set for {account.username!r}; its sessions were ended"
            raise AssertionError(args.command)
    finally:
        await engine.dispose()


def main(
    argv: list[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    getpass: Callable[[str], str] = getpass_module.getpass,
    interactive: bool | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = _parser().parse_args(argv)
    url = args.database_url
    try:
        password = None
        if args.command in ("create", "set-password"):
            password = read_password(
                from_stdin=args.password_stdin,
                stdin=stdin,
                getpass=getpass,
                interactive=stdin.isatty() if interactive is None else interactive,
                username=args.username,
            )
        check_migrated(url)
        print(asyncio.run(_run(args, password)), file=stdout)
    except (BadInput, accounts.AccountError) as error:
        print(f"error: {error}", file=stderr)
        return EXIT_BAD_INPUT
    except NotMigrated as error:
        print(f"error: {error}", file=stderr)
        return EXIT_DATABASE
    except (SQLAlchemyError, OSError) as error:
        print(
            f"database error at {mask_url(url)}: {type(error).__name__}:"
            f" {str(getattr(error, 'orig', None) or error).splitlines()[0]}",
            file=stderr,
        )
        return EXIT_DATABASE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
