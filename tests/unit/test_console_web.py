"""The support console's web routes (bot/console/web.py) on the real app and a real
database (SQLite and PostgreSQL): every route needs a session, every POST a CSRF
token, cookies are locked down, agents cannot open supervisors' pages, wrong
passwords are throttled, and what staff typed is shown escaped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.console import accounts
from bot.db.engine import create_async_engine_for
from bot.db.models import AuditEntry
from bot.web.app import create_app
from tests.fake_rasa import FakeRasa

PASSWORD = "correct horse 42 battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _create(url: str, username: str, role: str, display_name: str | None = None) -> None:
    engine = create_async_engine_for(url)
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            await accounts.create_account(db, username, PASSWORD, role, display_name=display_name)
            await db.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def client(scratch_db_url: str) -> AsyncIterator[TestClient]:
    await _create(scratch_db_url, "wanjiku", "agent", display_name="<script>alert(1)</script>")
    await _create(scratch_db_url, "otieno", "supervisor")
    app = create_app(Settings(database_url=scratch_db_url))
    async with TestClient(TestServer(app)) as test_client:
        test_client.db_url = scratch_db_url  # type: ignore[attr-defined]
        yield test_client


async def sign_in(client: TestClient, username: str, password: str = PASSWORD, **headers: str):  # noqa: ANN201
    page = await client.get("/console/login")
    token = CSRF.search(await page.text()).group(1)
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
        headers=headers,
    )


async def csrf_of(client: TestClient, path: str = "/console/") -> str:
    return CSRF.search(await (await client.get(path)).text()).group(1)


@pytest.mark.parametrize("path", ["/console", "/console/", "/console/audit"])
async def test_every_page_needs_a_session(client: TestClient, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/console/login"


async def test_a_post_without_a_session_is_refused(client: TestClient) -> None:
    assert (await client.post("/console/logout", data={})).status == 401


async def test_signing_in_sets_a_locked_down_cookie(client: TestClient) -> None:
    response = await sign_in(client, "otieno")
    assert response.status == 303 and response.headers["Location"] == "/console/"
    cookie = response.headers.getall("Set-Cookie")
    session = next(c for c in cookie if c.startswith("msaidizi_console="))
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Path=/console" in session
    assert "Secure" not in session  # plain HTTP here
    page = await client.get("/console/")
    assert page.status == 200 and "Signed in as" in await page.text()
    assert page.headers["Cache-Control"] == "no-store"


async def test_behind_tls_the_cookie_is_secure(client: TestClient) -> None:
    response = await sign_in(client, "otieno", **{"X-Forwarded-Proto": "https"})
    session = next(
        c for c in response.headers.getall("Set-Cookie") if c.startswith("msaidizi_console=")
    )
    assert "Secure" in session


async def test_a_wrong_password_says_so_and_gives_no_session(client: TestClient) -> None:
    response = await sign_in(client, "otieno", "not the password at all")
    assert response.status == 401
    assert "Wrong username or password." in await response.text()
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_the_sign_in_form_needs_its_csrf_token(client: TestClient) -> None:
    await client.get("/console/login")
    response = await client.post(
        "/console/login",
        data={"username": "otieno", "password": PASSWORD, "csrf_token": "forged"},
        allow_redirects=False,
    )
    assert response.status == 403
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_repeated_wrong_passwords_are_throttled(client: TestClient) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_USERNAME):
        assert (await sign_in(client, "wanjiku", "wrong password 123")).status == 401
    response = await sign_in(client, "wanjiku")  # even the right password, for now
    assert response.status == 429
    assert "Too many failed sign-ins. Try again in" in await response.text()


async def test_behind_the_local_proxy_each_client_address_is_throttled_alone(
    client: TestClient,
) -> None:
    # make run-prod's nginx connects from 127.0.0.1 and names the client in X-Real-IP.
    for n in range(accounts.MAX_FAILURES_PER_REMOTE):
        failed = await sign_in(
            client, f"guess{n}", "wrong password 123", **{"X-Real-IP": "198.51.100.7"}
        )
        assert failed.status == 401
    blocked = await sign_in(client, "otieno", **{"X-Real-IP": "198.51.100.7"})
    assert blocked.status == 429
    elsewhere = await sign_in(client, "otieno", **{"X-Real-IP": "203.0.113.20"})
    assert elsewhere.status == 303  # another officer's office is not locked out


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(client: TestClient) -> None:
    await sign_in(client, "wanjiku")
    forged = await client.post("/console/logout", data={"csrf_token": "x"}, allow_redirects=False)
    assert forged.status == 403
    assert (await client.get("/console/")).status == 200  # still signed in
    token = await csrf_of(client)
    out = await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/console/login"
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_an_agent_cannot_open_the_audit_log(client: TestClient) -> None:
    await sign_in(client, "wanjiku")
    assert (await client.get("/console/audit")).status == 403
    assert "Audit log" not in await (await client.get("/console/")).text()


async def test_a_supervisor_reads_the_audit_log(client: TestClient) -> None:
    await sign_in(client, "wanjiku", "a wrong password 1")
    await sign_in(client, "otieno")
    page = await client.get("/console/audit")
    assert page.status == 200
    text = await page.text()
    assert "login_failed" in text and "account_created" in text and "otieno" in text
    engine = create_async_engine_for(client.db_url)  # type: ignore[attr-defined]
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            actions = set((await db.scalars(select(AuditEntry.action))).all())
    finally:
        await engine.dispose()
    assert {"account_created", "login", "login_failed"} <= actions


async def test_what_staff_typed_is_shown_escaped(client: TestClient) -> None:
    await sign_in(client, "wanjiku")
    text = await (await client.get("/console/")).text()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# ---------------------------------------------------------------- conversations


@pytest.fixture
async def with_conversations(scratch_db_url: str, tmp_path) -> AsyncIterator[TestClient]:  # noqa: ANN001
    from bot.tracker_store import URLTrackerStore
    from tests.unit.test_console_conversations import DOMAIN, write_all

    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = URLTrackerStore(domain=DOMAIN, host=tracker_url)
    await write_all(store)
    store.engine.dispose()
    await _create(scratch_db_url, "wanjiku", "agent", display_name="Wanjiku")
    await _create(scratch_db_url, "otieno", "supervisor")
    async with FakeRasa() as rasa:
        app = create_app(
            Settings(database_url=scratch_db_url, tracker_store_url=tracker_url, rasa_url=rasa.url)
        )
        async with TestClient(TestServer(app)) as test_client:
            test_client.db_url = scratch_db_url  # type: ignore[attr-defined]
            test_client.rasa = rasa  # type: ignore[attr-defined]
            yield test_client


async def audit_actions(url: str) -> list[tuple[str, str | None]]:
    engine = create_async_engine_for(url)
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            rows = await db.execute(select(AuditEntry.action, AuditEntry.target))
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_the_list_shows_masked_officers_and_filters(with_conversations: TestClient) -> None:
    from tests.unit.test_console_conversations import AMINA, BARAKA

    client = with_conversations
    await sign_in(client, "wanjiku")
    page = await client.get("/console/conversations")
    text = await page.text()
    assert page.status == 200
    assert "…0042" in text and "…0001" in text
    assert f">{AMINA}<" not in text  # the link carries it, the page never shows it
    telegram = await (await client.get("/console/conversations?channel=telegram")).text()
    assert "…0001" in telegram and "…0042" not in telegram
    fallback = await (await client.get("/console/conversations?fallback=yes")).text()
    assert BARAKA[-4:] in fallback and "…0042" not in fallback
    assert (await client.get("/console/conversations?before=garbage")).status == 400
    bad = await client.get("/console/conversations?since=yesterday")
    assert bad.status == 400 and "since: use a date like" in await bad.text()


async def test_an_agent_reads_a_masked_transcript_and_it_is_audited(
    with_conversations: TestClient,
) -> None:
    from tests.unit.test_console_conversations import AMINA, EMAIL, NAME, NUMBER

    client = with_conversations
    await sign_in(client, "wanjiku")
    page = await client.get(f"/console/conversations/{AMINA}")
    text = await page.text()
    assert page.status == 200
    assert "register" in text and "(0.93)" in text  # each message's intent and confidence
    for secret in (NAME, EMAIL, NUMBER):
        assert secret not in text
    assert "Reveal personal data" not in text  # agents cannot reveal
    assert (await client.post(f"/console/conversations/{AMINA}/reveal", data={})).status == 403
    audited = await audit_actions(client.db_url)  # type: ignore[attr-defined]
    views = [target for action, target in audited if action == "view_transcript"]
    assert len(views) == 1 and AMINA not in views[0] and views[0].startswith("conversation:")
    assert (await client.get("/console/conversations/nobody-at-all")).status == 404


async def test_a_supervisor_reveals_with_the_csrf_token_and_it_is_audited(
    with_conversations: TestClient,
) -> None:
    from tests.unit.test_console_conversations import AMINA, NAME

    client = with_conversations
    await sign_in(client, "otieno")
    page = await client.get(f"/console/conversations/{AMINA}")
    token = CSRF.search(await page.text()).group(1)
    forged = await client.post(f"/console/conversations/{AMINA}/reveal", data={"csrf_token": "x"})
    assert forged.status == 403
    revealed = await client.post(
        f"/console/conversations/{AMINA}/reveal", data={"csrf_token": token}
    )
    assert revealed.status == 200 and NAME in await revealed.text()
    assert revealed.headers["Cache-Control"] == "no-store"
    actions = [action for action, _ in await audit_actions(client.db_url)]  # type: ignore[attr-defined]
    assert actions.count("reveal") == 1


async def test_a_script_typed_by_an_officer_is_shown_escaped(
    with_conversations: TestClient,
) -> None:
    from tests.unit.test_console_conversations import SCRIPT

    client = with_conversations
    await sign_in(client, "wanjiku")
    text = await (await client.get(f"/console/conversations/{SCRIPT}")).text()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(" in text


# ---------------------------------------------------------------- NLU inbox


async def test_an_agent_labels_an_unsure_message_and_exports_it(
    with_conversations: TestClient,
) -> None:
    client = with_conversations
    await sign_in(client, "wanjiku")
    page = await client.get("/console/nlu")
    text = await page.text()
    assert page.status == 200 and "nataka kuongea na mtu" in text
    event_id = re.search(r'name="event_id" value="(\d+)"', text).group(1)
    token = CSRF.search(text).group(1)

    forged = await client.post(
        "/console/nlu/label", data={"event_id": event_id, "intent": "human_handoff"}
    )
    assert forged.status == 403
    unknown = await client.post(
        "/console/nlu/label",
        data={"event_id": event_id, "intent": "no_such_intent", "csrf_token": token},
    )
    assert unknown.status == 400 and "unknown intent" in await unknown.text()
    saved = await client.post(
        "/console/nlu/label",
        data={"event_id": event_id, "intent": "human_handoff", "csrf_token": token},
        allow_redirects=False,
    )
    assert saved.status == 303
    assert "nataka kuongea na mtu" not in await (await client.get("/console/nlu")).text()

    exported = await client.get("/console/nlu/export.yml")
    assert exported.status == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    assert "- intent: human_handoff" in await exported.text()
    actions = [action for action, _ in await audit_actions(client.db_url)]  # type: ignore[attr-defined]
    assert "nlu_label" in actions and "export" in actions


# ---------------------------------------------------------------- exports


async def test_a_supervisor_exports_a_date_range_masked_and_audited(
    with_conversations: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import io
    import json

    from bot.console import exports
    from tests.unit.test_console_conversations import AMINA, BARAKA, EMAIL, NAME

    client = with_conversations
    await sign_in(client, "wanjiku")
    assert (await client.get("/console/export?since=2024-06-10&until=2024-06-11")).status == 403
    await client.post(
        "/console/logout", data={"csrf_token": await csrf_of(client)}, allow_redirects=False
    )
    await sign_in(client, "otieno")

    response = await client.get("/console/export?since=2024-06-10&until=2024-06-11&format=csv")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    body = await response.text()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["conversation"] for row in rows} == {
        exports.pseudonym(AMINA),
        exports.pseudonym(BARAKA),
    }
    assert {"officer", "bot"} == {row["speaker"] for row in rows}
    for secret in (NAME, EMAIL, AMINA, BARAKA):
        assert secret not in body

    as_json = await client.get("/console/export?since=2024-06-10&until=2024-06-13&format=json")
    data = json.loads(await as_json.text())
    assert len(data["conversations"]) == 4 and data["since"] == "2024-06-10"

    bad = await client.get("/console/export?since=2024-06-12&until=2024-06-10")
    assert bad.status == 400 and "must not end before it starts" in await bad.text()
    monkeypatch.setattr(exports, "MAX_CONVERSATIONS", 1)
    large = await client.get("/console/export?since=2024-06-10&until=2024-06-13")
    assert large.status == 400 and "narrow it" in await large.text()
    targets = [t for a, t in await audit_actions(client.db_url) if a == "export"]  # type: ignore[attr-defined]
    assert targets == [
        "conversations:2024-06-10..2024-06-11",
        "conversations:2024-06-10..2024-06-13",
    ]


# ---------------------------------------------------------------- analytics


async def test_a_supervisor_sees_the_analytics_as_svg_charts(
    with_conversations: TestClient,
) -> None:
    client = with_conversations
    await sign_in(client, "wanjiku")
    assert (await client.get("/console/analytics")).status == 403
    await client.post(
        "/console/logout", data={"csrf_token": await csrf_of(client)}, allow_redirects=False
    )
    await sign_in(client, "otieno")
    page = await client.get("/console/analytics?days=7&until=2024-06-16")
    text = await page.text()
    assert page.status == 200
    assert "<strong>4</strong> conversations" in text
    assert "fallback in 25.0%" in text and "hand-off in 25.0%" in text
    assert text.count("<svg") == 5
    assert 'aria-label="Conversations per day: 2024-06-10: 1, 2024-06-11: 1' in text
    assert "Officers&#x27; messages per channel: rest: 2," in text
    assert "No data in this period." in text  # no registrations in this database
    assert (await client.get("/console/analytics?days=x")).status == 400


def test_chart_labels_are_escaped() -> None:
    from bot.console.analytics import bar_chart

    svg = bar_chart("Top <intents>", [("<script>x</script>", 3)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.startswith("<svg") and 'role="img"' in svg


# ---------------------------------------------------------------- hand-offs


async def test_agents_claim_and_close_hand_off_requests(with_conversations: TestClient) -> None:
    from bot import handoff
    from tests.unit.test_console_conversations import BARAKA

    client = with_conversations
    url = client.db_url  # type: ignore[attr-defined]
    await _create(url, "akinyi", "agent")
    engine = create_async_engine_for(url)
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            request, _, _ = await handoff.request_handoff(
                db, channel="telegram", sender_id=BARAKA, language="sw", reason="human_handoff"
            )
            reference, request_id = request.reference, request.id
            await db.commit()
    finally:
        await engine.dispose()

    await sign_in(client, "wanjiku")
    page = await (await client.get("/console/handoffs")).text()
    assert (
        reference in page
        and "…0001" in page
        and BARAKA not in page.replace(f'href="/console/conversations/{BARAKA}"', "")
    )
    token = CSRF.search(page).group(1)
    assert (await client.post(f"/console/handoffs/{request_id}/claim", data={})).status == 403
    claimed = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    assert f"{reference} claimed." in await claimed.text()
    assert "assigned (wanjiku)" in await claimed.text()
    await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)

    await sign_in(client, "akinyi")
    token = await csrf_of(client, "/console/handoffs")
    taken = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    assert "Not done: already taken by wanjiku." in await taken.text()
    held = await client.post(f"/console/handoffs/{request_id}/close", data={"csrf_token": token})
    assert "Not done: held by wanjiku." in await held.text()
    await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)

    await sign_in(client, "wanjiku")
    token = await csrf_of(client, "/console/handoffs")
    closed = await client.post(f"/console/handoffs/{request_id}/close", data={"csrf_token": token})
    text = await closed.text()
    assert "closed: the bot has the conversation again" in text and "No officer is waiting." in text
    actions = [action for action, _ in await audit_actions(url)]
    assert actions.count("handoff_claim") == 1 and actions.count("handoff_close") == 1


async def _queue_request(url: str, channel: str, sender_id: str, language: str = "sw") -> int:
    from bot import handoff

    engine = create_async_engine_for(url)
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            request, _, _ = await handoff.request_handoff(
                db, channel=channel, sender_id=sender_id, language=language, reason="human_handoff"
            )
            request_id = request.id
            await db.commit()
            return request_id
    finally:
        await engine.dispose()


async def _outbox(url: str) -> list[tuple[str, str, str | None, bool]]:
    from bot.db.models import HandoffMessage

    engine = create_async_engine_for(url)
    try:
        async with sessionmaker(engine, class_=AsyncSession)() as db:
            rows = await db.scalars(select(HandoffMessage).order_by(HandoffMessage.id))
            return [(m.kind.value, m.author, m.text, m.delivered_at is not None) for m in rows]
    finally:
        await engine.dispose()


async def test_an_agent_replies_through_rasa_and_hands_back(
    with_conversations: TestClient,
) -> None:
    from tests.unit.test_console_conversations import BARAKA

    client, rasa = with_conversations, with_conversations.rasa  # type: ignore[attr-defined]
    url = client.db_url  # type: ignore[attr-defined]
    request_id = await _queue_request(url, "telegram", BARAKA)
    await _create(url, "akinyi", "agent", display_name="Akinyi")

    await sign_in(client, "wanjiku")
    token = await csrf_of(client, f"/console/handoffs/{request_id}")
    page = await (await client.get(f"/console/handoffs/{request_id}")).text()
    assert "Send reply" not in page  # not claimed yet: no reply box
    early = await client.post(
        f"/console/handoffs/{request_id}/reply", data={"csrf_token": token, "text": "Habari"}
    )
    assert "Not sent: claim the request before replying." in await early.text()

    claimed = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    text = await claimed.text()
    assert "claimed. Sent." in text and "Send reply" in text
    # The bot was told to stay quiet, then the "joined" notice was pushed (Telegram can).
    assert rasa.slot_values(BARAKA) == ["Wanjiku"] and rasa.deliveries(BARAKA) == 1
    # A second claim by the same agent changes nothing and tells the officer nothing.
    await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    assert rasa.slot_values(BARAKA) == ["Wanjiku"] and rasa.deliveries(BARAKA) == 1

    for blank in ("", "   "):
        refused = await client.post(
            f"/console/handoffs/{request_id}/reply", data={"csrf_token": token, "text": blank}
        )
        assert "Not sent: Write a reply first." in await refused.text()
    too_long = await client.post(
        f"/console/handoffs/{request_id}/reply", data={"csrf_token": token, "text": "x" * 2001}
    )
    assert "at most 2,000 characters" in await too_long.text()
    assert (
        await client.post(f"/console/handoffs/{request_id}/reply", data={"text": "hi"})
    ).status == 403

    sent = await client.post(
        f"/console/handoffs/{request_id}/reply",
        data={"csrf_token": token, "text": "Karibu! <script>alert(1)</script> Nitakusaidia."},
    )
    assert "Reply queued. Sent." in await sent.text()
    assert rasa.deliveries(BARAKA) == 2
    # Not delivered yet (the fake Rasa runs no action): shown as waiting, escaped.
    page = await (await client.get(f"/console/handoffs/{request_id}")).text()
    assert "Waiting to reach the officer" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)

    # Another agent can read it but not reply or close it.
    await sign_in(client, "akinyi")
    token = await csrf_of(client, f"/console/handoffs/{request_id}")
    assert "Send reply" not in await (await client.get(f"/console/handoffs/{request_id}")).text()
    other = await client.post(
        f"/console/handoffs/{request_id}/reply", data={"csrf_token": token, "text": "Mimi hapa"}
    )
    assert "Not sent: claim the request before replying." in await other.text()
    await client.post("/console/logout", data={"csrf_token": token}, allow_redirects=False)

    # A supervisor closes it: the hand-back notice is signed by the agent the officer met.
    await sign_in(client, "otieno")
    token = await csrf_of(client, "/console/handoffs")
    closed = await client.post(f"/console/handoffs/{request_id}/close", data={"csrf_token": token})
    assert "closed: the bot has the conversation again. Sent." in await closed.text()
    assert rasa.deliveries(BARAKA) == 3
    assert await _outbox(url) == [
        ("joined", "Wanjiku", None, False),
        ("reply", "Wanjiku", "Karibu! <script>alert(1)</script> Nitakusaidia.", False),
        ("left", "Wanjiku", None, False),
    ]
    actions = [action for action, _ in await audit_actions(url)]
    assert actions.count("handoff_reply") == 1 and actions.count("handoff_close") == 1


async def test_rest_officers_get_replies_with_their_next_message(
    with_conversations: TestClient,
) -> None:
    from tests.unit.test_console_conversations import AMINA

    client, rasa = with_conversations, with_conversations.rasa  # type: ignore[attr-defined]
    request_id = await _queue_request(client.db_url, "rest", AMINA, "en")  # type: ignore[attr-defined]
    await sign_in(client, "wanjiku")
    token = await csrf_of(client, "/console/handoffs")
    claimed = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    assert "on rest, which cannot push" in await claimed.text()
    sent = await client.post(
        f"/console/handoffs/{request_id}/reply", data={"csrf_token": token, "text": "Hello Amina"}
    )
    assert "with the reply to their next message" in await sent.text()
    # Quiet from the claim on, but nothing is pushed into a channel that cannot take it.
    assert rasa.slot_values(AMINA) == ["Wanjiku"] and rasa.deliveries(AMINA) == 0


async def test_nothing_is_claimed_when_rasa_cannot_be_told(with_conversations: TestClient) -> None:
    from tests.unit.test_console_conversations import BARAKA

    client, rasa = with_conversations, with_conversations.rasa  # type: ignore[attr-defined]
    url = client.db_url  # type: ignore[attr-defined]
    request_id = await _queue_request(url, "telegram", BARAKA)
    rasa.fail_with = 503
    await sign_in(client, "wanjiku")
    token = await csrf_of(client, "/console/handoffs")
    refused = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    text = await refused.text()
    assert "Not claimed: Rasa answered HTTP 503" in text and "Claim " in text
    assert await _outbox(url) == []
    rasa.fail_with = None
    claimed = await client.post(f"/console/handoffs/{request_id}/claim", data={"csrf_token": token})
    assert "claimed. Sent." in await claimed.text()


async def test_the_self_refreshing_page_is_audited_once(with_conversations: TestClient) -> None:
    from tests.unit.test_console_conversations import BARAKA

    client = with_conversations
    url = client.db_url  # type: ignore[attr-defined]
    request_id = await _queue_request(url, "telegram", BARAKA)
    await sign_in(client, "wanjiku")
    for _ in range(3):
        assert (await client.get(f"/console/handoffs/{request_id}?refresh=1")).status == 200
    await client.get(f"/console/handoffs/{request_id}")
    views = [a for a, _ in await audit_actions(url) if a == "view_transcript"]
    assert len(views) == 2  # the first refresh (nothing recent) and the full page view
    assert (await client.get("/console/handoffs/999999")).status == 404
    assert (await client.get("/console/handoffs/nope")).status == 404


# ---------------------------------------------------------------- accounts


async def test_a_supervisor_manages_accounts_in_the_browser(client: TestClient) -> None:
    url = client.db_url  # type: ignore[attr-defined]
    await sign_in(client, "wanjiku")
    assert (await client.get("/console/accounts")).status == 403
    token = await csrf_of(client)
    made = await client.post(
        "/console/accounts",
        data={
            "csrf_token": token,
            "username": "mallory",
            "password": PASSWORD,
            "role": "supervisor",
        },
    )
    assert made.status == 403
    assert "/console/accounts" not in await (await client.get("/console/")).text()

    # The agent's session, to see it end when the account is disabled.
    agent_cookies = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))
    client.session.cookie_jar.clear()
    await sign_in(client, "otieno")
    page = await (await client.get("/console/accounts")).text()
    assert "wanjiku" in page and "Disable otieno" not in page  # not oneself
    token = CSRF.search(page).group(1)

    refusals = {
        "short": {"username": "baraka", "password": "short", "role": "agent"},
        "taken": {"username": "Wanjiku", "password": PASSWORD, "role": "agent"},
        "role": {"username": "baraka", "password": PASSWORD, "role": "admin"},
    }
    for data in refusals.values():
        refused = await client.post("/console/accounts", data={"csrf_token": token, **data})
        assert "Not created:" in await refused.text()
    assert (await client.post("/console/accounts", data=refusals["taken"])).status == 403  # CSRF

    created = await client.post(
        "/console/accounts",
        data={
            "csrf_token": token,
            "username": "Baraka",
            "display_name": "Baraka O.",
            "password": PASSWORD,
            "role": "agent",
        },
    )
    text = await created.text()
    assert (
        "Account baraka (agent) created." in text and "Baraka O." in text and PASSWORD not in text
    )

    own = await client.post("/console/accounts/otieno/disable", data={"csrf_token": token})
    assert "You cannot disable your own account." in await own.text()
    off = await client.post("/console/accounts/wanjiku/disable", data={"csrf_token": token})
    assert "wanjiku disabled and signed out." in await off.text()
    missing = await client.post("/console/accounts/nobody/enable", data={"csrf_token": token})
    assert "Not changed: No staff account is called" in await missing.text()
    weak = await client.post(
        "/console/accounts/baraka/password",
        data={"csrf_token": token, "password": "baraka12345678"},
    )
    assert "Not changed:" in await weak.text()
    reset = await client.post(
        "/console/accounts/baraka/password",
        data={"csrf_token": token, "password": "a brand new passphrase 7"},
    )
    assert "New password set for baraka" in await reset.text()

    # The disabled agent's session no longer works; enabled again, they can sign in.
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies(agent_cookies)
    assert (await client.get("/console/conversations", allow_redirects=False)).status == 303
    client.session.cookie_jar.clear()
    assert (await sign_in(client, "wanjiku")).status != 303  # disabled: not signed in
    await sign_in(client, "otieno")
    token = await csrf_of(client, "/console/accounts")
    await client.post("/console/accounts/wanjiku/enable", data={"csrf_token": token})
    client.session.cookie_jar.clear()
    assert (await sign_in(client, "wanjiku")).status == 303
    assert (await sign_in(client, "baraka", "a brand new passphrase 7")).status == 303

    actions = [action for action, _ in await audit_actions(url)]
    for action in ("account_created", "account_disabled", "account_enabled", "password_changed"):
        assert action in actions, action


# ---------------------------------------------------------------- every route


def _console_routes() -> list[tuple[str, str]]:
    """Every (method, concrete path) the console serves, from the app's router, so
    a route added later is checked without anyone remembering to list it."""
    app = create_app(Settings(database_url="sqlite://"))
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if not path.startswith("/console") or route.method == "HEAD":
            continue
        path = re.sub(r"\{change[^}]*\}", "disable", path)
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        found.append((route.method, path))
    return sorted(set(found))


def test_the_route_list_covers_the_console() -> None:
    routes = _console_routes()
    assert len(routes) >= 20
    assert ("POST", "/console/handoffs/1/reply") in routes
    assert ("GET", "/console/accounts") in routes


@pytest.mark.parametrize(("method", "path"), _console_routes())
async def test_every_console_route_needs_a_session(
    client: TestClient, method: str, path: str
) -> None:
    response = await client.request(method, path, allow_redirects=False, data={})
    if path == "/console/login":
        assert response.status in (200, 403)  # the sign-in page; a POST without its token
    elif method == "GET":
        assert response.status == 303 and response.headers["Location"] == "/console/login"
    else:
        assert response.status == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [r for r in _console_routes() if r[0] == "POST" and r[1] != "/console/login"],
)
async def test_every_console_post_needs_the_csrf_token(
    client: TestClient, method: str, path: str
) -> None:
    await sign_in(client, "otieno")
    for data in ({}, {"csrf_token": "forged"}):
        response = await client.post(path, data=data, allow_redirects=False)
        assert response.status == 403, (path, data)
    assert (await client.get("/console/", allow_redirects=False)).status == 200  # still in
