"""What every messaging channel shares: limits, long replies in parts, numbered
choices for channels without buttons, repeated deliveries, and the channels' own
short replies in the officer's language."""

from __future__ import annotations

import uuid

import pytest

from bot.channels.common import (
    OfferedChoices,
    RecentIds,
    channel_reply,
    numbered_choices,
    officer_language,
    same_secret,
    shorten,
    split_text,
)
from bot.replies import render

BUTTONS = [
    {"title": "Cloud Computing Fundamentals", "payload": '/inform{"course":"CLD-201"}'},
    {"title": "Cybersecurity Essentials", "payload": '/inform{"course":"CSE-201"}'},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]


def test_secrets_are_compared_whole_and_a_missing_one_never_matches() -> None:
    assert same_secret("s3cret-token", "s3cret-token")
    assert same_secret(b"s3cret-token", "s3cret-token")
    assert not same_secret("s3cret-toke", "s3cret-token")
    assert not same_secret("", "s3cret-token")
    assert not same_secret(None, "s3cret-token")


def test_a_long_reply_is_cut_at_paragraphs_and_words_within_the_limit() -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(8))
    parts = split_text(text, 1600)
    assert all(len(part) <= 1600 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert all(not part.endswith("wor") for part in parts)  # never mid-word


def test_text_without_spaces_is_still_cut_to_the_limit() -> None:
    assert [len(p) for p in split_text("x" * 10_000, 4096)] == [4096, 4096, 1808]


def test_a_short_reply_is_one_part() -> None:
    assert split_text("  Habari!  ", 4096) == ["Habari!"]
    assert split_text("", 4096) == []


def test_titles_are_shortened_with_an_ellipsis() -> None:
    assert shorten("Cloud Computing Fundamentals", 20) == "Cloud Computing Fun…"
    assert len(shorten("Cloud Computing Fundamentals", 20)) == 20
    assert shorten("Talk to a person", 20) == "Talk to a person"


def test_numbered_choices_follow_the_reply_s_language() -> None:
    english = numbered_choices("Which course would you like to register for?", BUTTONS)
    assert "1. Cloud Computing Fundamentals\n2. Cybersecurity Essentials\n3. Talk to a person" in (
        english
    )
    assert english.endswith(render("channel_choose_by_number", "en"))
    swahili = numbered_choices("Ungependa kujiandikisha kwa kozi gani kati ya hizi?", BUTTONS)
    assert swahili.endswith(render("channel_choose_by_number", "sw"))


def test_a_number_answers_the_choices_last_offered_to_that_sender_only() -> None:
    choices = OfferedChoices()
    choices.offer("officer-a", BUTTONS)
    assert choices.pick("officer-a", "2") == '/inform{"course":"CSE-201"}'
    assert choices.pick("officer-a", " 3. ") == "/human_handoff"
    assert choices.pick("officer-a", "4") is None
    assert choices.pick("officer-a", "0") is None
    assert choices.pick("officer-a", "20231234") is None  # a personal number, not a choice
    assert choices.pick("officer-b", "1") is None
    choices.offer("officer-a", [])
    assert choices.pick("officer-a", "1") is None


def test_offered_choices_are_bounded_oldest_sender_first() -> None:
    choices = OfferedChoices(size=2)
    for sender in ("a", "b", "c"):
        choices.offer(sender, BUTTONS)
    assert choices.pick("a", "1") is None
    assert choices.pick("c", "1") == BUTTONS[0]["payload"]


def test_a_delivery_is_handled_once_and_the_memory_is_bounded() -> None:
    seen = RecentIds(size=2)
    assert seen.first_time("wamid.1")
    assert not seen.first_time("wamid.1")
    assert seen.first_time(None) and seen.first_time(None)  # no id: cannot tell
    seen.first_time("wamid.2")
    seen.first_time("wamid.3")
    assert seen.first_time("wamid.1")  # forgotten


def test_the_officer_s_language_comes_from_the_choice_then_the_text_then_the_conversation() -> None:
    assert officer_language({}) is None
    assert officer_language({"language": "sw"}) == "sw"
    assert officer_language({"language": "sw"}, "please can you tell me about courses") == "en"
    assert officer_language({"language_preference": "sw"}, "tell me about the courses") == "sw"
    assert officer_language({}, "ninataka kujua kuhusu kozi za mafunzo") == "sw"


def test_a_channel_reply_is_in_both_languages_until_the_language_is_known() -> None:
    assert channel_reply("channel_text_only", "sw") == render("channel_text_only", "sw")
    both = channel_reply("channel_text_only", None)
    assert render("channel_text_only", "sw") in both and render("channel_text_only", "en") in both
    assert "4096" in channel_reply("channel_too_long", "en", limit=4096)


# --- shared by the replicas through Redis ----------------------------------------------


@pytest.fixture
def shared_redis_client():  # noqa: ANN201
    import redis

    from bot.channels import common

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {url}: {error}")
    prefix = f"test-channels-{uuid.uuid4().hex[:8]}:"
    original, common.SHARED_KEY_PREFIX = common.SHARED_KEY_PREFIX, prefix
    client = common.shared_redis(url)
    yield client
    common.SHARED_KEY_PREFIX = original
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_replicas_share_offered_choices_and_handled_deliveries(shared_redis_client) -> None:  # noqa: ANN001
    from bot.channels.common import OfferedChoices, RecentIds

    # Two replicas: the buttons offered by one are answered through the other.
    one = OfferedChoices(redis=shared_redis_client, namespace="twilio")
    two = OfferedChoices(redis=shared_redis_client, namespace="twilio")
    one.offer(
        "whatsapp:+254700000001",
        [{"title": "June", "payload": '/inform{"cohort":"A"}'}, {"title": "Oct"}],
    )
    assert two.pick("whatsapp:+254700000001", " 1. ") == '/inform{"cohort":"A"}'
    assert two.pick("whatsapp:+254700000001", "2") == "Oct"
    assert (
        OfferedChoices(redis=shared_redis_client, namespace="telegram").pick(
            "whatsapp:+254700000001", "1"
        )
        is None
    )  # another channel's sender
    assert 0 < shared_redis_client.ttl(one._key("whatsapp:+254700000001")) <= 24 * 3600
    two.offer("whatsapp:+254700000001", [])
    assert one.pick("whatsapp:+254700000001", "1") is None

    # A re-sent webhook reaching the other replica is recognised.
    first = RecentIds(redis=shared_redis_client, namespace="telegram")
    second = RecentIds(redis=shared_redis_client, namespace="telegram")
    assert first.first_time(9001) and not second.first_time(9001)
    assert RecentIds(redis=shared_redis_client, namespace="whatsapp").first_time(9001)
    assert second.first_time(None) and second.first_time(None)


def test_without_redis_the_memory_is_the_process_s(caplog) -> None:  # noqa: ANN001
    from bot.channels.common import OfferedChoices, RecentIds, shared_redis

    down = shared_redis("redis://127.0.0.1:1/0")
    choices = OfferedChoices(redis=down, namespace="twilio")
    choices.offer("a", [{"title": "One"}])
    assert choices.pick("a", "1") == "One"
    ids = RecentIds(redis=down, namespace="twilio")
    assert ids.first_time("x") and not ids.first_time("x")
    assert "Redis unavailable" in caplog.text
    assert shared_redis(None) is None
