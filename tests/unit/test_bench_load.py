"""The load benchmark's own logic (bench/load.py), without servers: its figures,
how it recognises replies and lost events, and that its scripted officers stay
consistent with the catalogue and the replies they expect."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench import load
from bot import replies

ROOT = Path(__file__).resolve().parents[2]


def test_percentiles_interpolate_between_ranks_as_numpy_does() -> None:
    values = list(range(1, 101))
    assert load.percentile(values, 50) == pytest.approx(50.5)
    assert load.percentile(values, 95) == pytest.approx(95.05)
    assert load.percentile(values, 99) == pytest.approx(99.01)
    assert load.percentile([7.0], 95) == 7.0
    assert load.percentile(list(reversed(values)), 0) == 1
    assert math.isnan(load.percentile([], 50))


def test_latency_summary_is_in_milliseconds_and_empty_without_replies() -> None:
    summary = load.latency_summary([0.1, 0.2, 0.3])
    assert summary["count"] == 3
    assert summary["p50_ms"] == pytest.approx(200)
    assert summary["max_ms"] == pytest.approx(300)
    assert load.latency_summary([])["p95_ms"] is None


def test_a_reply_template_finds_its_filled_text_and_a_bare_placeholder_matches_nothing() -> None:
    pattern = load.template_pattern("Your reference number is {reference}; keep it.")
    assert pattern.search("Done. Your reference number is KSG-7F3K9Q; keep it.")
    assert not pattern.search("Your reference number is")
    assert load.template_pattern("{summary}") is None


def test_replies_are_known_by_name_and_a_trailing_slash_means_any_topic() -> None:
    known = load.Replies(
        {
            "utter_greet": ["Hello!", "Habari!"],
            "utter_data_protection/consent": ["Consent (s.32) means {what}."],
            "utter_data_protection/breach": ["Report a breach within 72 hours (s.43)."],
        }
    )
    assert known.says("Habari!", "utter_greet")
    assert known.says("Report a breach within 72 hours (s.43).", "utter_data_protection/")
    assert not known.says("Hello!", "utter_data_protection/")
    with pytest.raises(KeyError):
        known.says("Hello!", "utter_unknown")


def test_an_expected_step_fails_on_a_fallback_a_wrong_reply_or_a_missing_string() -> None:
    known = load.Replies(
        {"utter_default": ["Sorry, I didn't understand that."], "utter_greet": ["Hello!"]}
    )
    assert load.expect("utter_greet").problem([{"text": "Hello!"}], known) is None
    assert "utter_default" in load.expect().problem(
        [{"text": "Sorry, I didn't understand that."}], known
    )
    assert "expected utter_greet" in load.expect("utter_greet").problem([{"text": "Hi"}], known)
    assert "CLD-201" in load.expect(contains=["CLD-201"]).problem([{"text": "DGP-202"}], known)


def events(*turns: tuple[str, bool]) -> list[dict]:
    """Tracker events: for each (text, answered) a user event, then a bot one."""
    found = [{"event": "action", "name": "action_session_start"}]
    for text, answered in turns:
        found.append({"event": "user", "text": text})
        found.append({"event": "action", "name": "action_listen"})
        if answered:
            found.append({"event": "bot", "text": "reply"})
    return found


def test_a_complete_tracker_has_no_lost_unanswered_or_unexpected_events() -> None:
    sent = ["hello", "/affirm", "bye"]
    assert load.tracker_problems(sent, events(*[(t, True) for t in sent])) == {
        "lost": 0,
        "unanswered": 0,
        "unexpected": 0,
    }


def test_a_missing_an_unanswered_and_an_extra_message_are_each_counted() -> None:
    sent = ["hello", "JG K", "/affirm", "bye"]
    tracker = events(("hello", True), ("JG K", False), ("someone else", True), ("bye", True))
    assert load.tracker_problems(sent, tracker) == {"lost": 1, "unanswered": 1, "unexpected": 1}


def test_messages_out_of_order_count_as_lost() -> None:
    tracker = events(("b", True), ("a", True))
    assert load.tracker_problems(["a", "b"], tracker)["lost"] == 1


def officer(number: int = 1, seed: int = 0) -> load.Officer:
    client = load.Client(
        None, "http://bot", load.Replies({}), load.Stats(), 0, 0, 1, random.Random(seed)
    )
    return load.Officer(number, "4321", client, client.stats)


def test_the_mix_asks_for_status_or_withdrawal_only_after_registering() -> None:
    newcomer = officer()
    picked = Counter(newcomer.next_scenario().__name__ for _ in range(2000))
    assert set(picked) == {"greeting", "course_questions", "data_protection", "registration"}
    assert 0.25 < picked["registration"] / 2000 < 0.45

    newcomer.registrations.append(
        load.Registration(
            "s", "4321001000", "DGP-202", "DGP-202-2027-06", "KSG-7F3K9Q", "confirmed"
        )
    )
    picked = Counter(newcomer.next_scenario().__name__ for _ in range(2000))
    assert {"status_check", "withdrawal"} <= set(picked)
    newcomer.registrations[0].withdrawal = "done"
    assert "withdrawal" not in {newcomer.next_scenario().__name__ for _ in range(500)}


def test_personal_numbers_are_unique_per_officer_and_registration_and_valid() -> None:
    numbers = set()
    for number in range(50):
        someone = officer(number)
        for _ in range(20):
            numbers.add(someone.personal_number())
            someone.registrations.append(load.Registration("s", "x", "c", "k"))
    assert len(numbers) == 50 * 20
    assert all(re.fullmatch(r"\d{6,10}", n) for n in numbers)


def test_the_scripted_registrations_match_the_sample_catalogue() -> None:
    catalogue = yaml.safe_load((ROOT / "data/catalogue/courses.yml").read_text())
    courses = {c["code"]: c for c in catalogue["courses"]}
    order = load.JOB_GROUPS
    for course in load.COURSES:
        rules = courses[course.code]
        low = order.index(rules["min_job_group"])
        high = order.index(rules["max_job_group"]) if rules["max_job_group"] else len(order) - 1
        assert all(low <= order.index(g) <= high for g in course.job_groups), course.code
        assert course.prerequisite == bool(rules["prerequisites"]), course.code
        assert course.nomination == rules["requires_nomination"], course.code
    for questions in load.COURSE_QUESTIONS.values():
        assert {code for *_, code in questions} <= set(courses)


def test_every_reply_the_benchmark_expects_exists() -> None:
    source = (ROOT / "bench/load.py").read_text()
    officers, bare_users = source.split("class BareUser")
    reply_name = (
        r'"((?:ask_|utter_|registered_|summary_|course_list_)[a-z_/]+|status_intro|withdrawn)"'
    )
    named = set(re.findall(reply_name, officers))
    assert {"ask_consent", "ask_employer", "registered_confirmed", "withdrawn"} <= named
    known = load.Replies.of_domain(ROOT / "domain", dict(replies.catalogue()))
    for name in sorted(named):
        known.says("", name)  # KeyError when no reply has that name
    bare = load.Replies.of_domain(ROOT / "bench/bare_bot/domain.yml")
    for name in re.findall(r'"(utter_[a-z_]+)"', bare_users):
        bare.says("", name)
