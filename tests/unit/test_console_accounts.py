"""Support-console accounts (bot.console.accounts and ``python -m bot.console``):
password hashing and policy, sign-in throttling as time passes, sessions, roles
and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.console import accounts
from bot.console.__main__ import main as cli
from bot.console.accounts import (
    AccountError,
    Permission,
    PermissionDenied,
    StaffRole,
    audit,
    audit_entries,
    authenticate,
    can,
    check_csrf,
    check_password_policy,
    create_account,
    create_session,
    disable_account,
    hash_password,
    needs_rehash,
    normalise_username,
    revoke_session,
    session_for,
    set_password,
    verify_password,
)
from bot.db import migrate
from bot.db.models import AuditEntry, ConsoleSession, LoginAttempt, StaffAccount
from tests.unit.test_db_migrations import schema_of

T0 = datetime(2027, 1, 4, 6, 0, tzinfo=timezone.utc)  # 09:00 in Nairobi
PASSWORD = "mvua ya masika 2027"
OTHER_PASSWORD = "Jua kali sana!!"


# ---------------------------------------------------------------- hashing


def test_a_hash_is_scrypt_with_its_parameters_and_a_fresh_salt() -> None:
    encoded = hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert PASSWORD not in encoded
    assert hash_password(PASSWORD) != encoded  # another salt
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(PASSWORD + " ", encoded)
    assert not verify_password("", encoded)
    assert not needs_rehash(encoded)


def test_verification_matches_hashlib_and_normalises_unicode() -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"caf\xc3\xa9 au lait 1", salt=salt, n=2**14, r=8, p=1, dklen=32)
    encoded = (
        f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )
    assert verify_password("caf\u00e9 au lait 1", encoded)
    assert verify_password("cafe\u0301 au lait 1", encoded)  # decomposed é, NFKC


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain-text-password",
        "bcrypt$12$abc",
        "scrypt$16384$8$1$c2FsdA==",  # missing the hash
        "scrypt$16385$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$" + "A" * 44,  # n not a power of 2
        "scrypt$4194304$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$" + "A" * 44,  # n far too costly
        "scrypt$16384$8$1$not*base64$" + "A" * 44,
    ],
)
def test_a_malformed_hash_never_matches_and_needs_replacing(encoded: str) -> None:
    assert not verify_password(PASSWORD, encoded)
    assert needs_rehash(encoded)


def test_a_hash_with_older_parameters_still_verifies_but_needs_rehash() -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    old = f"scrypt$4096$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert verify_password(PASSWORD, old)
    assert needs_rehash(old)


# ---------------------------------------------------------------- policy and names


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1!", "at least 12 characters long (this one has 7)"),
        ("", "at least 12 characters"),
        ("alllowercaseletters", "two kinds of character"),
        ("ALLCAPITALSHERE", "two kinds of character"),
        ("123456789012", "two kinds of character"),
        ("!!!!!!!!!!!!!!", "two kinds of character"),
        ("x" * 1024 + "Y", "at most 1024"),
        ("wanjiru-2027-secure", "must not contain the username"),
    ],
)
def test_the_password_policy_says_what_is_wrong(password: str, message: str) -> None:
    with pytest.raises(AccountError, match=re.escape(message)):
        check_password_policy(password, username="wanjiru")


@pytest.mark.parametrize("password", [PASSWORD, OTHER_PASSWORD, "correcthorse9", "Abcdefghijkl"])
def test_the_password_policy_accepts_long_mixed_passwords(password: str) -> None:
    check_password_policy(password, username="wanjiru")


def test_usernames_are_trimmed_and_lower_cased_or_refused() -> None:
    assert normalise_username("  Wanjiru.Kamau ") == "wanjiru.kamau"
    for bad in ("", "a", "-dash", "with space", "x" * 65, "jané", "a@b"):
        with pytest.raises(AccountError, match="Invalid username"):
            normalise_username(bad)


# ---------------------------------------------------------------- roles


def test_agents_and_supervisors_have_their_permissions() -> None:
    agent = StaffAccount(username="a", role=StaffRole.AGENT, disabled=False)
    supervisor = StaffAccount(username="s", role=StaffRole.SUPERVISOR, disabled=False)
    for permission in ("conversations", "handoffs", "nlu_inbox"):
        assert can(agent, permission) and can(supervisor, permission)
    for permission in ("analytics", "exports", "accounts", "audit", "reveal"):
        assert not can(agent, permission) and can(supervisor, Permission(permission))
    assert not can(None, "conversations")
    supervisor.disabled = True
    assert not can(supervisor, "conversations")
    with pytest.raises(ValueError):
        can(agent, "conversation")  # a typo is an error, not a quiet "no"


# ---------------------------------------------------------------- accounts in the database


async def make(async_sessions: sessionmaker, username: str = "wanjiru", role: str = "agent"):
    async with async_sessions() as session, session.begin():
        return await create_account(
            session, username, PASSWORD, role, display_name="Wanjiru Kamau", now=T0
        )


async def test_an_account_is_created_lower_cased_hashed_and_audited(async_sessions) -> None:
    account = await make(async_sessions, "Wanjiru", "supervisor")
    assert account.username == "wanjiru" and account.role is StaffRole.SUPERVISOR
    assert account.display_name == "Wanjiru Kamau" and not account.disabled
    assert account.created_at == T0 and account.last_login_at is None
    assert verify_password(PASSWORD, account.password_hash)
    async with async_sessions() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert (entry.action, entry.target, entry.account_id) == (
        "account_created",
        f"account:{account.id}",
        None,
    )
    with pytest.raises(AccountError, match="already exists"):
        await make(async_sessions, "WANJIRU")
    async with async_sessions() as session:
        with pytest.raises(AccountError, match="Unknown role"):
            await create_account(session, "baraka", PASSWORD, "admin")
        with pytest.raises(AccountError, match="at least 12"):
            await create_account(session, "baraka", "Short1!", "agent")
        assert await session.scalar(select(func.count()).select_from(StaffAccount)) == 1


async def test_the_schema_refuses_upper_case_names_unknown_roles_and_duplicates(
    async_sessions, sessions
) -> None:
    await make(async_sessions)
    insert = text(
        "INSERT INTO staff_accounts (username, display_name, password_hash, role, disabled,"
        " created_at) VALUES (:u, 'x', 'x', :r, false, :t)"
    )
    for username, role, error in (
        ("Baraka", "agent", "(?i)check"),
        ("baraka", "admin", "(?i)check"),
        ("wanjiru", "agent", "(?i)unique"),
    ):
        with pytest.raises(IntegrityError, match=error), sessions.begin() as session:
            session.execute(insert, {"u": username, "r": role, "t": T0.replace(tzinfo=None)})


# ---------------------------------------------------------------- signing in and throttling


async def login(
    async_sessions, password: str, *, at: datetime, username="wanjiru", remote="10.0.0.1"
):
    async with async_sessions() as session, session.begin():
        return await authenticate(session, username, password, remote, now=at)


async def test_a_good_sign_in_is_recorded_audited_and_stamped(async_sessions) -> None:
    account = await make(async_sessions)
    result = await login(async_sessions, PASSWORD, at=T0, username=" WANJIRU ")
    assert result.ok and result.error is None and result.account.id == account.id
    async with async_sessions() as session:
        stored = await session.get(StaffAccount, account.id)
        attempt = (await session.scalars(select(LoginAttempt))).one()
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert stored.last_login_at == T0
    assert (attempt.username, attempt.remote, attempt.at, attempt.succeeded) == (
        "wanjiru",
        "10.0.0.1",
        T0,
        True,
    )
    assert actions == ["account_created", "login"]


async def test_wrong_unknown_and_disabled_all_get_the_same_answer(async_sessions) -> None:
    await make(async_sessions)
    await make(async_sessions, "baraka")
    async with async_sessions() as session, session.begin():
        await disable_account(session, "baraka", now=T0)
    results = [
        await login(async_sessions, OTHER_PASSWORD, at=T0),
        await login(async_sessions, PASSWORD, at=T0, username="nobody"),
        await login(async_sessions, PASSWORD, at=T0, username="baraka"),
    ]
    assert {(r.ok, r.error, r.retry_after_minutes) for r in results} == {
        (False, "Wrong username or password.", None)
    }
    async with async_sessions() as session:
        details = (
            await session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "login_failed")
                .order_by(AuditEntry.id)
            )
        ).all()
        failures = await session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
        )
    assert details == ["wrong password", "unknown username", "account disabled"]
    assert failures == 3


async def test_an_unknown_username_takes_as_long_as_a_known_one(async_sessions) -> None:
    await make(async_sessions)

    async def timed(username: str) -> float:
        started = time.perf_counter()
        for i in range(3):
            await login(
                async_sessions, OTHER_PASSWORD, at=T0 + timedelta(hours=i), username=username
            )
        return time.perf_counter() - started

    known, unknown = await timed("wanjiru"), await timed("nobody")
    assert unknown > 0.5 * known  # both pay for scrypt; without the dummy check ~0.1x


async def test_five_failures_lock_the_username_until_they_leave_the_window(async_sessions) -> None:
    await make(async_sessions)
    for minute in range(5):
        result = await login(async_sessions, OTHER_PASSWORD, at=T0 + timedelta(minutes=minute))
        assert result.error == "Wrong username or password."
    # 5 failures at 0..4 minutes: the one at 0 leaves the window at 15.
    locked = await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=5))
    assert not locked.ok and locked.retry_after_minutes == 10
    assert locked.error == "Too many failed sign-ins. Try again in 10 minutes."
    # Trying again while locked does not make the wait longer.
    nearly = await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=14, seconds=30))
    assert nearly.retry_after_minutes == 1 and nearly.error.endswith("in 1 minute.")
    # Another address does not help: the lock is on the username.
    other = await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=6), remote="10.9.9.9")
    assert not other.ok and other.retry_after_minutes == 9
    assert (await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=15))).ok
    async with async_sessions() as session:
        throttled = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "login_failed", AuditEntry.detail == "throttled")
        )
    assert throttled == 3


async def test_a_success_clears_the_usernames_earlier_failures(async_sessions) -> None:
    await make(async_sessions)
    for minute in range(4):
        await login(async_sessions, OTHER_PASSWORD, at=T0 + timedelta(minutes=minute))
    assert (await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=5))).ok
    for minute in range(6, 10):
        await login(async_sessions, OTHER_PASSWORD, at=T0 + timedelta(minutes=minute))
    assert (await login(async_sessions, PASSWORD, at=T0 + timedelta(minutes=10))).ok


async def test_twenty_failures_from_one_address_lock_that_address(async_sessions) -> None:
    await make(async_sessions)
    async with async_sessions() as session, session.begin():
        session.add_all(
            LoginAttempt(username=f"guess{i}", remote="203.0.113.7", at=T0, succeeded=False)
            for i in range(20)
        )
    locked = await login(
        async_sessions, PASSWORD, at=T0 + timedelta(minutes=1), remote="203.0.113.7"
    )
    assert not locked.ok and locked.retry_after_minutes == 14
    elsewhere = await login(
        async_sessions, PASSWORD, at=T0 + timedelta(minutes=1), remote="10.0.0.2"
    )
    assert elsewhere.ok
    later = await login(
        async_sessions, PASSWORD, at=T0 + timedelta(minutes=15), remote="203.0.113.7"
    )
    assert later.ok


async def test_an_outdated_hash_is_upgraded_at_sign_in(async_sessions) -> None:
    account = await make(async_sessions)
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    old = f"scrypt$4096$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    async with async_sessions() as session, session.begin():
        (await session.get(StaffAccount, account.id)).password_hash = old
    assert (await login(async_sessions, PASSWORD, at=T0)).ok
    async with async_sessions() as session:
        upgraded = (await session.get(StaffAccount, account.id)).password_hash
    assert upgraded.startswith("scrypt$16384$") and verify_password(PASSWORD, upgraded)


async def test_login_attempts_can_be_pruned(async_sessions) -> None:
    await make(async_sessions)
    await login(async_sessions, OTHER_PASSWORD, at=T0)
    await login(async_sessions, OTHER_PASSWORD, at=T0 + timedelta(days=40))
    async with async_sessions() as session, session.begin():
        assert await accounts.prune_login_attempts(session, now=T0 + timedelta(days=40)) == 1


# ---------------------------------------------------------------- sessions


async def test_a_session_is_found_by_its_token_which_is_stored_only_hashed(async_sessions) -> None:
    account = await make(async_sessions)
    async with async_sessions() as session, session.begin():
        new = await create_session(session, account, now=T0)
    assert len(new.token) >= 43 and len(new.csrf_token) >= 43 and new.token != new.csrf_token
    async with async_sessions() as session:
        row = (await session.scalars(select(ConsoleSession))).one()
    assert row.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
    assert new.token not in (row.token_hash, row.csrf_token)
    assert row.expires_at == T0 + timedelta(hours=12) and not row.revoked

    async with async_sessions() as session, session.begin():
        found = await session_for(session, new.token, now=T0 + timedelta(minutes=30))
        assert found is not None and found.account.username == "wanjiru"
        assert found.last_seen_at == T0 + timedelta(minutes=30)  # sliding
        assert check_csrf(found, new.csrf_token)
        assert not check_csrf(found, new.csrf_token[:-1] + "x") and not check_csrf(found, None)
        assert await session_for(session, new.token[:-1] + "x", now=T0) is None
        assert await session_for(session, "", now=T0) is None
        assert await session_for(session, "é" * 500, now=T0) is None


async def test_sessions_end_when_idle_expired_revoked_or_disabled(async_sessions) -> None:
    await make(async_sessions)
    await make(async_sessions, "baraka")

    async def new_session(username: str = "wanjiru"):
        async with async_sessions() as session, session.begin():
            owner = await accounts.get_account(session, username)
            return (await create_session(session, owner, now=T0)).token

    async def lookup(token: str, at: datetime):
        async with async_sessions() as session, session.begin():
            return await session_for(session, token, now=at)

    # Kept alive by use every 50 minutes, it still ends after 12 hours.
    kept = await new_session()
    moment = T0
    while moment + timedelta(minutes=50) < T0 + timedelta(hours=12):
        moment += timedelta(minutes=50)
        assert await lookup(kept, moment) is not None
    assert await lookup(kept, T0 + timedelta(hours=12)) is None

    idle = await new_session()
    assert await lookup(idle, T0 + timedelta(minutes=61)) is None

    signed_out = await new_session()
    async with async_sessions() as session, session.begin():
        assert await revoke_session(session, signed_out)
        assert not await revoke_session(session, signed_out)
    assert await lookup(signed_out, T0 + timedelta(minutes=1)) is None

    other = await new_session("baraka")
    first, second = await new_session(), await new_session()
    async with async_sessions() as session, session.begin():
        await set_password(session, "wanjiru", OTHER_PASSWORD, now=T0)
    assert await lookup(first, T0) is None and await lookup(second, T0) is None
    assert await lookup(other, T0) is not None  # someone else's session is untouched

    async with async_sessions() as session, session.begin():
        await disable_account(session, "baraka", now=T0)
        with pytest.raises(ValueError, match="disabled"):
            await create_session(session, await accounts.get_account(session, "baraka"))
    assert await lookup(other, T0) is None
    assert (await login(async_sessions, OTHER_PASSWORD, at=T0)).ok  # the new password


# ---------------------------------------------------------------- audit


async def test_the_audit_log_is_paginated_for_supervisors_only(async_sessions) -> None:
    agent = await make(async_sessions, "agent1")
    supervisor = await make(async_sessions, "super1", "supervisor")
    async with async_sessions() as session, session.begin():
        for i in range(7):
            await audit(
                session,
                agent,
                "view_transcript",
                f"conversation:c{i}",
                now=T0 + timedelta(minutes=i),
            )
        await audit(
            session,
            supervisor.id,
            "reveal",
            "conversation:c3",
            "email",
            now=T0 + timedelta(hours=1),
        )
        await audit(
            session,
            None,
            "export",
            None,
            "csv, 2027-01-01..2027-01-03",
            now=T0 + timedelta(hours=2),
        )
    async with async_sessions() as session:
        with pytest.raises(PermissionDenied):
            await audit_entries(session, agent)
        first = await audit_entries(session, supervisor, per_page=4)
        assert (first.total, first.pages, first.has_next) == (11, 3, True)  # +2 account_created
        assert [(e.action, e.username) for e in first.entries[:3]] == [
            ("export", None),
            ("reveal", "super1"),
            ("view_transcript", "agent1"),
        ]
        assert first.entries[2].target == "conversation:c6"
        last = await audit_entries(session, supervisor, page=3, per_page=4)
        assert [e.action for e in last.entries] == ["view_transcript"] + ["account_created"] * 2
        assert not last.has_next
        views = await audit_entries(
            session, supervisor, actions=["view_transcript"], account_id=agent.id, per_page=50
        )
        assert views.total == 7 and views.entries[-1].at == T0


@pytest.mark.parametrize(
    ("action", "target", "detail", "message"),
    [
        ("Login", None, None, "action"),
        ("", None, None, "action"),
        ("reveal", None, "wanjiru@example.go.ke", "personal data"),
        ("reveal", None, "phone 0712345678", "personal data"),
        ("reveal", None, "ID 12345678", "personal data"),
        ("export", "x" * 201, None, "target longer"),
    ],
)
async def test_audit_refuses_bad_actions_and_personal_data(
    async_sessions, action: str, target: str | None, detail: str | None, message: str
) -> None:
    async with async_sessions() as session:
        with pytest.raises(ValueError, match=re.escape(message)):
            await audit(session, None, action, target, detail, now=T0)


# ---------------------------------------------------------------- migration


def test_downgrading_0004_gives_back_the_0003_schema(
    empty_db_url: str, request: pytest.FixtureRequest
) -> None:
    backend = "sqlite" if empty_db_url.startswith("sqlite") else "postgres"
    scratch_db_url = request.getfixturevalue(f"scratch_{backend}_url")
    migrate.upgrade(empty_db_url, "0003")
    at_0003 = schema_of(empty_db_url)
    at_head = schema_of(scratch_db_url)
    new_tables = {"staff_accounts", "console_sessions", "login_attempts", "audit_log"}
    assert new_tables <= set(at_head["tables"]) and not new_tables & set(at_0003["tables"])
    migrate.downgrade(scratch_db_url, "0003")
    assert schema_of(scratch_db_url) == at_0003
    migrate.upgrade(scratch_db_url)
    assert schema_of(scratch_db_url) == at_head
    migrate.check(scratch_db_url)


# ---------------------------------------------------------------- the CLI


def run_cli(url: str, *args: str, stdin: str = "", typed: list[str] | None = None, tty=False):
    out, err = io.StringIO(), io.StringIO()
    answers = iter(typed or [])
    code = cli(
        ["--database-url", url, "users", *args],
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        getpass=lambda prompt: next(answers),
        interactive=tty,
    )
    return code, out.getvalue(), err.getvalue()


def test_the_cli_creates_lists_disables_and_resets(db_url: str, sessions) -> None:
    code, out, err = run_cli(
        db_url, "create", "--username", "Amina", "--role", "supervisor",
        "--display-name", "Amina Otieno", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert (code, err) == (0, "") and "created supervisor account 'amina'" in out
    code, out, err = run_cli(
        db_url, "create", "--username", "otieno", "--role", "agent",
        typed=[OTHER_PASSWORD, OTHER_PASSWORD], tty=True,
    )  # fmt: skip
    assert code == 0, err

    code, out, _ = run_cli(db_url, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["username", "role", "status"]
    assert lines[1].split() == ["amina", "supervisor", "active", "never", "Amina", "Otieno"]
    assert lines[2].split() == ["otieno", "agent", "active", "never", "otieno"]

    assert run_cli(db_url, "disable", "OTIENO")[0] == 0
    assert "otieno    agent       disabled" in run_cli(db_url, "list")[1]
    assert run_cli(db_url, "enable", "otieno")[0] == 0
    code, out, _ = run_cli(
        db_url, "set-password", "amina", typed=["Mpya kabisa 2027", "Mpya kabisa 2027"], tty=True
    )
    assert code == 0 and "new password set for 'amina'" in out

    with sessions() as session:
        amina = session.scalars(select(StaffAccount).where(StaffAccount.username == "amina")).one()
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert verify_password("Mpya kabisa 2027", amina.password_hash)
    assert actions == [
        "account_created",
        "account_created",
        "account_disabled",
        "account_enabled",
        "password_changed",
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "typed", "tty", "message"),
    [
        (["create", "--username", "a b", "--role", "agent", "--password-stdin"], PASSWORD, None, False, "Invalid username"),
        (["create", "--username", "amina", "--role", "agent", "--password-stdin"], PASSWORD, None, False, "already exists"),
        (["create", "--username", "zawadi", "--role", "agent", "--password-stdin"], "short\n", None, False, "at least 12"),
        (["create", "--username", "zawadi", "--role", "agent", "--password-stdin"], "", None, False, "no password"),
        (["create", "--username", "zawadi", "--role", "agent"], "", None, False, "use --password-stdin"),
        (["create", "--username", "zawadi", "--role", "agent"], "", [PASSWORD, OTHER_PASSWORD], True, "differ"),
        (["disable", "nobody"], "", None, False, "No staff account is called 'nobody'"),
        (["set-password", "nobody", "--password-stdin"], PASSWORD, None, False, "No staff account"),
    ],
)  # fmt: skip
def test_the_cli_refuses_bad_input_with_exit_2(
    migrated_sqlite_url: str, args, stdin, typed, tty, message
) -> None:
    assert run_cli(migrated_sqlite_url, "create", "--username", "amina", "--role", "agent",
                   "--password-stdin", stdin=PASSWORD)[0] == 0  # fmt: skip
    code, out, err = run_cli(migrated_sqlite_url, *args, stdin=stdin, typed=typed, tty=tty)
    assert code == 2 and message in err and out == ""
    assert PASSWORD not in err and OTHER_PASSWORD not in err


def test_the_cli_rejects_an_unknown_role_and_an_unmigrated_database(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli(["users", "create", "--username", "x1", "--role", "admin"])
    assert exit_.value.code == 2 and "invalid choice: 'admin'" in capsys.readouterr().err
    code, _, err = run_cli(f"sqlite:///{tmp_path / 'empty.db'}", "list")
    assert code == 1 and "make db" in err
