"""Support-console accounts: passwords, sign-in with throttling, sessions, roles
and the audit log (issue 7).

Plain async Python over an :class:`~sqlalchemy.ext.asyncio.AsyncSession`, no
Rasa, no web framework; every function runs in the caller's transaction and
never commits. That is why :func:`authenticate` *returns* a refusal instead of
raising one: the failed attempt it recorded must be committed, not rolled back.

- Passwords (:func:`hash_password`, :func:`verify_password`,
  :func:`needs_rehash`): scrypt from :mod:`hashlib` (n=2**14, r=8, p=1, a 16-byte
  random salt), encoded as ``scrypt$n$r$p$salt_b64$hash_b64`` so the parameters
  can be raised later and old hashes upgraded at the next sign-in; compared in
  constant time. Passwords are NFKC-normalised first, so the same password typed
  on another keyboard still matches. :func:`check_password_policy`: at least 12
  characters, not all of one kind.
- Sign-in (:func:`authenticate`): every attempt whose password was checked is a
  ``login_attempts`` row, so throttling holds across replicas. After 5 failures
  for the username (since its last success) or 20 from the client address within
  15 minutes, attempts are refused without checking the password, and the message
  says how many minutes to wait. A refused attempt is audited
  (``login_failed``, "throttled") but does not count as a failure, so the wait
  shown is the real one: waiting that long always lets the next try through, and
  an attacker still gets at most 5 guesses per username per 15 minutes.
  Unknown and disabled usernames cost the same scrypt work as known ones, and
  all get the same message.
- Sessions (:func:`create_session`, :func:`session_for`,
  :func:`revoke_session`): a random 32-byte token for the cookie, of which only
  the SHA-256 is stored, and a CSRF token for the session's forms. A session
  ends after 12 hours, after 1 hour unused, when revoked, or when its account is
  disabled; changing a password or disabling an account revokes all of its
  sessions.
- Roles (:func:`can`): agents may use conversations, hand-offs and the NLU
  inbox; supervisors also analytics, exports, accounts, the audit log and
  revealing personal data.
- Audit (:func:`audit`, :func:`audit_entries`): who did what, to what, when.
  ``detail`` is refused if it looks like personal data (an email, phone or ID
  number, see :mod:`bot.log_masking`).
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.models import (
    AuditEntry,
    ConsoleSession,
    LoginAttempt,
    StaffAccount,
    StaffRole,
    utcnow,
)
from bot.log_masking import mask_personal_data

__all__ = [
    "AccountError",
    "AuditPage",
    "AuditRow",
    "LoginResult",
    "NewSession",
    "Permission",
    "PermissionDenied",
    "StaffRole",
    "audit",
    "audit_entries",
    "authenticate",
    "can",
    "check_csrf",
    "check_password_policy",
    "create_account",
    "create_session",
    "disable_account",
    "enable_account",
    "get_account",
    "hash_password",
    "list_accounts",
    "needs_rehash",
    "normalise_username",
    "prune_login_attempts",
    "revoke_session",
    "revoke_sessions_of",
    "session_for",
    "set_password",
    "verify_password",
]

# ---------------------------------------------------------------- settings

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # scrypt copes; this only bounds the work per attempt

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_REMOTE = 20

SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE_TIMEOUT = timedelta(hours=1)
#: ``last_seen_at`` is written at most this often (not on every request).
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
TOKEN_BYTES = 32

WRONG_CREDENTIALS = "Wrong username or password."

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_ACTION = re.compile(r"[a-z][a-z_]{0,31}")
_TEXT_LIMIT = 200  # audit_log.target and .detail are String(200)


class AccountError(ValueError):
    """Bad input about an account: an invalid or taken username, an unknown
    account, a password the policy refuses. The message is for the operator."""


class PermissionDenied(Exception):
    """The account's role does not allow this."""


# ---------------------------------------------------------------- passwords


def _normalise_password(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        _normalise_password(password),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=length,
        maxmem=256 * r * (n + p) + 2**20,
    )


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt_b64$hash_b64`` for ``password``, with a fresh salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The parameters, salt and hash of an encoded hash; None if it is not one we
    could have written (or would be unreasonably expensive to check)."""
    parts = encoded.split("$") if isinstance(encoded, str) else []
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if len(salt) < 8 or len(digest) < 16:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``, compared in constant time. A
    malformed hash never matches."""
    parsed = _parse_hash(encoded)
    if parsed is None or len(password) > MAX_PASSWORD_LENGTH:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(digest)), digest)


def needs_rehash(encoded: str) -> bool:
    """Whether ``encoded`` was made with other parameters than today's (so it
    should be replaced at the next successful sign-in)."""
    parsed = _parse_hash(encoded)
    if parsed is None:
        return True
    n, r, p, salt, digest = parsed
    return (n, r, p, len(salt), len(digest)) != (
        SCRYPT_N,
        SCRYPT_R,
        SCRYPT_P,
        SALT_BYTES,
        HASH_BYTES,
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check unknown usernames against, so they cost the same time."""
    return hash_password(secrets.token_urlsafe(16))


def _character_kinds(password: str) -> set[str]:
    kinds = set()
    for char in password:
        if char.isdigit():
            kinds.add("digit")
        elif char.islower():
            kinds.add("lower")
        elif char.isupper():
            kinds.add("upper")
        else:
            kinds.add("other")
    return kinds


def check_password_policy(password: str, *, username: str | None = None) -> None:
    """Raises :class:`AccountError` saying what is wrong with ``password``: fewer
    than 12 characters, more than 1024, all of one kind (only lower-case letters,
    only capitals, only digits or only symbols), or containing the username."""
    length = len(password)
    if length < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long"
            f" (this one has {length})."
        )
    if length > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if len(_character_kinds(password)) < 2:
        raise AccountError(
            "The password must mix at least two kinds of character: lower-case letters,"
            " capitals, digits, symbols or spaces (a long phrase with a space or a digit"
            " will do)."
        )
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise AccountError("The password must not contain the username.")


# ---------------------------------------------------------------- roles


class Permission(str, enum.Enum):
    """What a part of the console needs."""

    CONVERSATIONS = "conversations"
    HANDOFFS = "handoffs"
    NLU_INBOX = "nlu_inbox"
    ANALYTICS = "analytics"
    EXPORTS = "exports"
    ACCOUNTS = "accounts"
    AUDIT = "audit"
    REVEAL = "reveal"


AGENT_PERMISSIONS: frozenset[Permission] = frozenset(
    {Permission.CONVERSATIONS, Permission.HANDOFFS, Permission.NLU_INBOX}
)
SUPERVISOR_PERMISSIONS: frozenset[Permission] = AGENT_PERMISSIONS | {
    Permission.ANALYTICS,
    Permission.EXPORTS,
    Permission.ACCOUNTS,
    Permission.AUDIT,
    Permission.REVEAL,
}
ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.AGENT: AGENT_PERMISSIONS,
    StaffRole.SUPERVISOR: SUPERVISOR_PERMISSIONS,
}


def can(account: StaffAccount | None, permission: Permission | str) -> bool:
    """Whether ``account`` may use ``permission``. No account or a disabled one may
    do nothing; an unknown permission name raises ``ValueError`` (a typo in a
    route must not quietly deny, or allow, everything)."""
    wanted = Permission(permission)
    if account is None or account.disabled:
        return False
    return wanted in ROLE_PERMISSIONS[StaffRole(account.role)]


# ---------------------------------------------------------------- accounts


def normalise_username(username: str) -> str:
    """``username`` trimmed and lower-cased; :class:`AccountError` unless it is 2–64
    letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit."""
    name = (username or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise AccountError(
            f"Invalid username {username!r}: use 2 to 64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit."
        )
    return name


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: use an aware one (bot.db.models.utcnow)")
    return moment


def _actor_id(actor: StaffAccount | int | None) -> int | None:
    return actor.id if isinstance(actor, StaffAccount) else actor


async def get_account(session: AsyncSession, username: str) -> StaffAccount | None:
    """The account called ``username`` (any case), or None."""
    try:
        name = normalise_username(username)
    except AccountError:
        return None
    return await session.scalar(select(StaffAccount).where(StaffAccount.username == name))


async def _require_account(session: AsyncSession, username: str) -> StaffAccount:
    account = await get_account(session, username)
    if account is None:
        raise AccountError(f"No staff account is called {username!r}.")
    return account


async def list_accounts(session: AsyncSession) -> list[StaffAccount]:
    """Every account, by username."""
    return list((await session.scalars(select(StaffAccount).order_by(StaffAccount.username))).all())


async def create_account(
    session: AsyncSession,
    username: str,
    password: str,
    role: StaffRole | str,
    *,
    display_name: str | None = None,
    actor: StaffAccount | int | None = None,
    now: datetime | None = None,
) -> StaffAccount:
    """A new, enabled account (audited as ``account_created``). Raises
    :class:`AccountError` for an invalid or taken username, an unknown role, a
    display name over 120 characters or a password the policy refuses."""
    now = _aware(now)
    name = normalise_username(username)
    try:
        staff_role = StaffRole(role)
    except ValueError:
        raise AccountError(
            f"Unknown role {role!r}: use {' or '.join(r.value for r in StaffRole)}."
        ) from None
    shown = (display_name or "").strip() or name
    if len(shown) > 120:
        raise AccountError("The display name must be at most 120 characters long.")
    check_password_policy(password, username=name)
    if await get_account(session, name) is not None:
        raise AccountError(f"A staff account called {name!r} already exists.")
    account = StaffAccount(
        username=name,
        display_name=shown,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=staff_role,
        disabled=False,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    await audit(
        session, actor, "account_created", f"account:{account.id}", staff_role.value, now=now
    )
    return account


async def set_password(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    actor: StaffAccount | int | None = None,
    now: datetime | None = None,
) -> StaffAccount:
    """Replaces the account's password (policy checked) and signs it out
    everywhere; audited as ``password_changed``."""
    now = _aware(now)
    account = await _require_account(session, username)
    check_password_policy(password, username=account.username)
    account.password_hash = await asyncio.to_thread(hash_password, password)
    await revoke_sessions_of(session, account.id)
    await audit(session, actor, "password_changed", f"account:{account.id}", now=now)
    return account


async def disable_account(
    session: AsyncSession,
    username: str,
    *,
    actor: StaffAccount | int | None = None,
    now: datetime | None = None,
) -> StaffAccount:
    """Stops the account signing in and ends its sessions (kept, not deleted, for
    the audit log); audited as ``account_disabled``."""
    return await _set_disabled(session, username, True, actor=actor, now=now)


async def enable_account(
    session: AsyncSession,
    username: str,
    *,
    actor: StaffAccount | int | None = None,
    now: datetime | None = None,
) -> StaffAccount:
    """Lets a disabled account sign in again; audited as ``account_enabled``."""
    return await _set_disabled(session, username, False, actor=actor, now=now)


async def _set_disabled(
    session: AsyncSession,
    username: str,
    disabled: bool,
    *,
    actor: StaffAccount | int | None,
    now: datetime | None,
) -> StaffAccount:
    now = _aware(now)
    account = await _require_account(session, username)
    account.disabled = disabled
    if disabled:
        await revoke_sessions_of(session, account.id)
    action = "account_disabled" if disabled else "account_enabled"
    await audit(session, actor, action, f"account:{account.id}", now=now)
    return account


# ---------------------------------------------------------------- signing in


@dataclass(frozen=True)
class LoginResult:
    """What :func:`authenticate` decided. ``account`` is set only on success;
    otherwise ``error`` is the message to show (the same for an unknown name, a
    wrong password or a disabled account) and, when throttled,
    ``retry_after_minutes`` how long to wait."""

    account: StaffAccount | None
    error: str | None = None
    retry_after_minutes: int | None = None

    @property
    def ok(self) -> bool:
        return self.account is not None


def throttled_message(minutes: int) -> str:
    return f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


async def _wait_needed(
    session: AsyncSession, username: str, remote: str, now: datetime
) -> timedelta | None:
    """How long sign-ins for ``username`` or from ``remote`` are refused, or None."""
    since = now - THROTTLE_WINDOW
    last_success = await session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    user_since = max(since, last_success) if last_success is not None else since
    wait = timedelta(0)
    for column, value, after, limit in (
        (LoginAttempt.username, username, user_since, MAX_FAILURES_PER_USERNAME),
        (LoginAttempt.remote, remote, since, MAX_FAILURES_PER_REMOTE),
    ):
        failures = (
            await session.scalars(
                select(LoginAttempt.at)
                .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > after)
                .order_by(LoginAttempt.at.desc())
                .limit(limit)
            )
        ).all()
        if len(failures) >= limit:
            # Open again once the limit-th most recent failure leaves the window.
            wait = max(wait, failures[limit - 1] + THROTTLE_WINDOW - now)
    return wait if wait > timedelta(0) else None


def _remote_key(remote: str | None) -> str:
    return (remote or "unknown").strip()[:64] or "unknown"


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    remote: str | None,
    *,
    now: datetime | None = None,
) -> LoginResult:
    """Checks a sign-in, records the attempt (and audits ``login`` or
    ``login_failed``), and on success stamps ``last_login_at`` and upgrades an
    outdated hash. ``remote`` is the client's address. Commit afterwards even
    when it failed: the failure must count."""
    now = _aware(now)
    name = (username or "").strip().lower()[:64]
    remote = _remote_key(remote)

    def fail(account: StaffAccount | None, detail: str):
        session.add(LoginAttempt(username=name, remote=remote, at=now, succeeded=False))
        return account, detail, LoginResult(None, WRONG_CREDENTIALS)

    wait = await _wait_needed(session, name, remote, now)
    account = await get_account(session, name)
    if wait is not None:
        # Not a login_attempts row: only checked passwords count towards the lock.
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        detail, result = "throttled", LoginResult(None, throttled_message(minutes), minutes)
    else:
        # Always one scrypt check, against a dummy hash if there is no account,
        # so the time taken does not tell whether a username exists.
        stored = account.password_hash if account is not None else _dummy_hash()
        matches = await asyncio.to_thread(verify_password, password or "", stored)
        if account is None:
            account, detail, result = fail(None, "unknown username")
        elif not matches:
            account, detail, result = fail(account, "wrong password")
        elif account.disabled:
            account, detail, result = fail(account, "account disabled")
        else:
            session.add(LoginAttempt(username=name, remote=remote, at=now, succeeded=True))
            account.last_login_at = now
            if needs_rehash(account.password_hash):
                account.password_hash = await asyncio.to_thread(hash_password, password)
            await audit(session, account, "login", f"account:{account.id}", now=now)
            return LoginResult(account)
    target = f"account:{account.id}" if account is not None else None
    await audit(session, account, "login_failed", target, detail, now=now)
    return result


async def prune_login_attempts(
    session: AsyncSession,
    *,
    older_than: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> int:
    """Deletes sign-in attempts older than ``older_than`` (throttling needs only
    the last 15 minutes; the audit log keeps the history). Returns how many."""
    cutoff = _aware(now) - older_than
    result = await session.execute(LoginAttempt.__table__.delete().where(LoginAttempt.at < cutoff))
    return result.rowcount or 0


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class NewSession:
    """A session just created: ``token`` goes in the cookie (and nowhere else),
    ``csrf_token`` in the session's forms."""

    token: str
    csrf_token: str
    session: ConsoleSession


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(
    session: AsyncSession,
    account: StaffAccount,
    *,
    now: datetime | None = None,
    lifetime: timedelta = SESSION_LIFETIME,
) -> NewSession:
    """A new session for ``account`` (refused with ``ValueError`` if disabled)."""
    now = _aware(now)
    if account.disabled:
        raise ValueError("a disabled account cannot have a session")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
    row = ConsoleSession(
        token_hash=_token_hash(token),
        account_id=account.id,
        csrf_token=csrf_token,
        created_at=now,
        expires_at=now + lifetime,
        last_seen_at=now,
        revoked=False,
    )
    row.account = account
    session.add(row)
    await session.flush()
    return NewSession(token=token, csrf_token=csrf_token, session=row)


async def session_for(
    session: AsyncSession, token: str | None, *, now: datetime | None = None
) -> ConsoleSession | None:
    """The live session whose cookie token is ``token``, with its ``account``
    loaded; None if unknown, expired, idle too long, revoked or its account is
    disabled. Notes the activity (``last_seen_at``, at most once a minute)."""
    now = _aware(now)
    if not token or len(token) > 128:
        return None
    row = await session.scalar(
        select(ConsoleSession)
        .options(joinedload(ConsoleSession.account))
        .where(ConsoleSession.token_hash == _token_hash(token))
    )
    if (
        row is None
        or row.revoked
        or row.account.disabled
        or now >= row.expires_at
        or now - row.last_seen_at > SESSION_IDLE_TIMEOUT
    ):
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def check_csrf(console_session: ConsoleSession | None, submitted: str | None) -> bool:
    """Whether a form's CSRF token is the session's (constant-time comparison)."""
    if console_session is None or not submitted:
        return False
    return hmac.compare_digest(
        console_session.csrf_token.encode("utf-8"), submitted.encode("utf-8")
    )


async def revoke_session(session: AsyncSession, token: str | None) -> bool:
    """Signs out the session with this cookie token; whether there was one."""
    if not token or len(token) > 128:
        return False
    result = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == _token_hash(token), ConsoleSession.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)


async def revoke_sessions_of(session: AsyncSession, account_id: int) -> int:
    """Signs the account out everywhere; how many sessions were live."""
    result = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.account_id == account_id, ConsoleSession.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


# ---------------------------------------------------------------- audit


async def audit(
    session: AsyncSession,
    account: StaffAccount | int | None,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Writes one audit entry. ``action`` is a short lower-case name ("login",
    "view_transcript", "reveal", "export", …); ``target`` names what was acted on
    ("conversation:…", "account:3"); ``detail`` is a short note that must not be
    personal data — one that looks like an email, phone or ID number is refused
    with ``ValueError``, as are texts over 200 characters."""
    if not _ACTION.fullmatch(action or ""):
        raise ValueError(f"audit action {action!r}: use up to 32 lower-case letters and '_'")
    for name, value in (("target", target), ("detail", detail)):
        if value is not None and len(value) > _TEXT_LIMIT:
            raise ValueError(f"audit {name} longer than {_TEXT_LIMIT} characters")
    if detail is not None and mask_personal_data(detail) != detail:
        raise ValueError("audit detail looks like personal data; name the record instead")
    entry = AuditEntry(
        at=_aware(now), account_id=_actor_id(account), action=action, target=target, detail=detail
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as a supervisor reads it (``username`` None: no account)."""

    id: int
    at: datetime
    username: str | None
    action: str
    target: str | None
    detail: str | None


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first."""

    entries: list[AuditRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


async def audit_entries(
    session: AsyncSession,
    viewer: StaffAccount | None,
    *,
    page: int = 1,
    per_page: int = 50,
    actions: Iterable[str] | None = None,
    account_id: int | None = None,
) -> AuditPage:
    """A page of the audit log, newest first, optionally only some actions or one
    account's. Only for accounts that ``can(…, "audit")``, else
    :class:`PermissionDenied`."""
    if not can(viewer, Permission.AUDIT):
        raise PermissionDenied("only supervisors may read the audit log")
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), 500)
    conditions = []
    if actions is not None:
        conditions.append(AuditEntry.action.in_(list(actions)))
    if account_id is not None:
        conditions.append(AuditEntry.account_id == account_id)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    rows = (
        await session.execute(
            select(AuditEntry, StaffAccount.username)
            .outerjoin(StaffAccount, StaffAccount.id == AuditEntry.account_id)
            .where(*conditions)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    ).all()
    entries = [
        AuditRow(entry.id, entry.at, username, entry.action, entry.target, entry.detail)
        for entry, username in rows
    ]
    return AuditPage(entries=entries, page=page, per_page=per_page, total=total or 0)
