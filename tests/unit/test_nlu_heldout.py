"""The held-out NLU set and its scoring, without a model: the loader reads what the
YAML says, the set has the agreed shape, every annotated entity value is what bot/'s
own normalisers make of its text, and the scorer counts right with a fake parser.

The model's own figures are checked by tests/integration/test_nlu_heldout.py.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from bot import evaluate
from bot.contact import is_valid_email, is_valid_personal_number, normalise_phone
from bot.course_names import find_course_mentions
from bot.evaluate import (
    HELDOUT_LANGUAGES,
    HeldOutMessage,
    http_parser,
    intent_accuracy,
    load_heldout,
    newest_model,
    remembered,
    topic_accuracy,
)
from bot.job_groups import job_group
from bot.reference import normalise_reference
from tests.unit.test_training_data import normalise

# The agreed size of the set (the brief for the helpdesk intents).
SIZES = {
    # helpdesk.yml (25 each, inform 40) + robustness.yml (typos, one word, long, entity forms)
    # + fresh_in_scope.yml (8 each, written after tuning to check for overfitting)
    "list_courses": 25 + 8 + 8,
    "course_details": 25 + 9 + 8,
    "check_eligibility": 25 + 8 + 8,
    "register": 25 + 9 + 8,
    "check_status": 25 + 9 + 8,
    "withdraw": 25 + 8 + 8,
    "update_details": 25 + 8 + 8,
    "stop": 25 + 7 + 8,
    "inform": 40 + 13 + 8,
    # chitchat.yml (12 each) + fresh_in_scope.yml (8 each): the conversational intents
    "greet": 12 + 8,
    "goodbye": 12 + 8,
    "thank": 12 + 8,
    "affirm": 12 + 8,
    "deny": 12 + 8,
    "bot_challenge": 12 + 8,
    "ask_help": 12 + 8,
    "human_handoff": 12 + 8,
    "switch_language": 12 + 8,
    # out_of_scope.yml + fresh_out_of_scope.yml: what Msaidizi does not handle, many
    # sharing words with the above
    "out_of_scope": 264 + 100,
    # issue 4: Data Protection Act questions (33 topics x 3) and the data-rights intents
    # (12 each), each + fresh_in_scope.yml (20 questions; 8 per data-rights intent)
    "data_protection": 99 + 20,
    "privacy_notice": 12 + 8,
    "my_data_access": 12 + 8,
    "data_export": 12 + 8,
    "my_data_erase": 12 + 8,
    "withdraw_consent": 12 + 8,
}
ENTITY_TYPES = {
    "course", "job_group", "email", "phone_number", "personal_number", "reference",
    "export_format", "language", "terms_of_service",
}  # fmt: skip

SAMPLE = """\
version: "3.1"
nlu:
- intent: register
  examples:
  - text: 'nataka kujiandikisha kozi ya [cloud]{"entity": "course", "value": "CLD-201"}'
    metadata:
      language: sw
  - text: 'sign me up, I''m [JG K]{"entity": "job_group", "value": "K"}'
    metadata:
      language: en
- intent: stop
  examples:
  - text: 'acha hii form'
    metadata:
      language: mixed
"""

ONE_STOP = """\
version: "3.1"
nlu:
- intent: stop
  examples:
  - text: 'acha'
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------- loader


def test_loader_reads_text_intent_language_and_entities(tmp_path: Path) -> None:
    write(tmp_path, "sample.yml", SAMPLE)
    items = load_heldout(tmp_path)
    assert [(i.text, i.intent, i.language) for i in items] == [
        ("nataka kujiandikisha kozi ya cloud", "register", "sw"),
        ("sign me up, I'm JG K", "register", "en"),
        ("acha hii form", "stop", "mixed"),
    ]
    assert items[0].entities == [{"entity": "course", "value": "CLD-201", "start": 29, "end": 34}]
    text, intent, language, entities, _, source = items[1]  # a plain tuple too
    assert source == "sample.yml"
    assert text[entities[0]["start"] : entities[0]["end"]] == "JG K"
    assert items[2].entities == []


def test_loader_reads_every_yml_file_in_the_folder(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", SAMPLE)
    write(tmp_path, "b.yml", SAMPLE.replace("acha hii form", "stop hii kitu"))
    write(tmp_path, "notes.txt", "not a test file")
    texts = [i.text for i in load_heldout(tmp_path)]
    assert len(texts) == 6
    assert texts[2:4] == ["acha hii form", "nataka kujiandikisha kozi ya cloud"]


@pytest.mark.parametrize(
    "metadata", ["", "    metadata:\n      lang: sw\n", "    metadata:\n      language: fr\n"]
)
def test_a_message_without_a_known_language_is_refused(tmp_path: Path, metadata: str) -> None:
    path = write(tmp_path, "bad.yml", ONE_STOP + metadata)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_heldout(tmp_path)


# ----------------------------------------------------------------- the real set


@pytest.fixture(scope="module")
def heldout() -> list[HeldOutMessage]:
    return load_heldout()


def test_the_set_has_the_agreed_intents_and_sizes(heldout: list[HeldOutMessage]) -> None:
    # Rasa's reader drops a repeated example silently, so exact counts catch that too.
    assert Counter(i.intent for i in heldout) == SIZES


@pytest.mark.parametrize("intent", sorted(SIZES))
def test_at_least_40_percent_of_each_intent_is_kiswahili_or_mixed(
    heldout: list[HeldOutMessage], intent: str
) -> None:
    languages = Counter(i.language for i in heldout if i.intent == intent)
    assert set(languages) <= set(HELDOUT_LANGUAGES)
    assert languages["sw"] + languages["mixed"] >= 0.4 * sum(languages.values()), languages
    assert languages["en"] and languages["sw"] and languages["mixed"], languages


def test_no_message_is_there_twice(heldout: list[HeldOutMessage]) -> None:
    # Counting as the leak check does (case and punctuation ignored), across intents:
    # a text under two intents would be a contradiction, not a harder test.
    counts = Counter(normalise(i.text) for i in heldout)
    assert not [text for text, n in counts.items() if n > 1]


def _normalised(entity_type: str, written: str) -> str | None:
    """What bot/ makes of an entity's text, for comparing with the annotated value."""
    if entity_type == "job_group":
        return job_group(written)
    if entity_type == "phone_number":
        return normalise_phone(written)
    if entity_type == "email":
        return is_valid_email(written).value
    if entity_type == "personal_number":
        return is_valid_personal_number(written, r"^\d{6,10}$").value
    if entity_type == "reference":
        return normalise_reference(written)
    if entity_type == "export_format":
        return {"json": "json", "csv": "csv", "excel": "csv", "spreadsheet": "csv"}.get(
            written.lower()
        )
    if entity_type == "terms_of_service":  # interns and attachés (eligibility)
        word = written.lower().replace("é", "e")
        return (
            "intern"
            if word.startswith("intern")
            else "attache"
            if word.startswith("attach")
            else None
        )
    if entity_type == "language":  # the language a switch_language message asks for
        names = {"english": "en", "kiingereza": "en", "kizungu": "en"}
        names |= {"swahili": "sw", "kiswahili": "sw"}
        return names.get(written.lower())
    raise AssertionError(f"unexpected entity type {entity_type}")


def test_entity_values_are_what_the_normalisers_make_of_the_text(
    heldout: list[HeldOutMessage],
) -> None:
    wrong = []
    for item in heldout:
        courses = set()
        for entity in item.entities:
            assert entity["entity"] in ENTITY_TYPES, item
            written = item.text[entity["start"] : entity["end"]]
            if entity["entity"] == "course":
                courses.add((entity["value"], entity["start"], entity["end"]))
            elif _normalised(entity["entity"], written) != entity["value"]:
                wrong.append((item.text, entity))
        # Every course the officer named is annotated, with the same span and code.
        if courses != set(find_course_mentions(item.text)):
            wrong.append((item.text, sorted(courses), find_course_mentions(item.text)))
    assert not wrong


def test_references_use_the_reference_alphabet(heldout: list[HeldOutMessage]) -> None:
    references = [e["value"] for i in heldout for e in i.entities if e["entity"] == "reference"]
    assert references
    assert all(re.fullmatch(r"KSG-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}", r) for r in references)


# ------------------------------------------------------------------------ scoring

ITEMS = [
    HeldOutMessage("list them", "list_courses", "en", []),
    HeldOutMessage("mna kozi gani", "list_courses", "sw", []),
    HeldOutMessage(
        "ni-register cloud",
        "register",
        "mixed",
        [{"entity": "course", "value": "CLD-201", "start": 12, "end": 17}],
    ),
    HeldOutMessage("acha", "stop", "sw", []),
    HeldOutMessage("zzz", "stop", "en", []),
]


def fake_parser(answers: dict[str, dict]) -> evaluate.ParseFunction:
    def parse(text: str) -> dict:
        return answers[text]

    return parse


def parsed(intent: str | None, confidence: float = 0.9, entities: list | None = None) -> dict:
    return {"intent": {"name": intent, "confidence": confidence}, "entities": entities or []}


ANSWERS = {
    "list them": parsed("list_courses"),
    "mna kozi gani": parsed("list_courses"),
    "ni-register cloud": parsed(
        "register",
        entities=[
            {"entity": "course", "value": "CLD-201"},
            {"entity": "message_language", "value": "sw"},
        ],
    ),
    "acha": parsed("nlu_fallback", 0.7),
    "zzz": {},
}


def test_scores_overall_by_language_and_by_intent() -> None:
    report = intent_accuracy(fake_parser(ANSWERS), ITEMS)
    assert (report.correct, report.total) == (3, 5)
    assert report.accuracy == pytest.approx(0.6)
    assert {k: (s.correct, s.total) for k, s in report.by_language.items()} == {
        "en": (1, 2),
        "sw": (1, 2),
        "mixed": (1, 1),
    }
    assert {k: (s.correct, s.total) for k, s in report.by_intent.items()} == {
        "list_courses": (2, 2),
        "register": (1, 1),
        "stop": (0, 2),
    }
    assert (report.cells["stop", "sw"].correct, report.cells["stop", "sw"].total) == (0, 1)
    assert report.accuracy_in("en") == pytest.approx(0.5)
    assert report.accuracy_in("sw", "mixed") == pytest.approx(2 / 3)
    assert report.accuracy_in("fr") == 0.0
    assert (report.entities_found, report.entities_expected) == (1, 1)


def test_fallback_and_empty_answers_are_misses_with_what_came_back() -> None:
    report = intent_accuracy(fake_parser(ANSWERS), ITEMS)
    assert [(m.text, m.language, m.expected, m.got, m.confidence) for m in report.misses] == [
        ("acha", "sw", "stop", "nlu_fallback", 0.7),
        ("zzz", "en", "stop", None, None),
    ]


def test_an_entity_with_the_wrong_value_is_not_found() -> None:
    wrong_value = [{"entity": "course", "value": "cloud"}]
    answers = {**ANSWERS, "ni-register cloud": parsed("register", entities=wrong_value)}
    report = intent_accuracy(fake_parser(answers), ITEMS)
    assert (report.entities_found, report.entities_expected) == (0, 1)
    assert report.correct == 3


def test_the_report_prints_a_table_and_every_miss() -> None:
    text = intent_accuracy(fake_parser(ANSWERS), ITEMS).as_text()
    assert "3/5 = 60.0%" in text
    lines = text.splitlines()
    assert lines[1].split() == ["intent", "en", "sw", "mixed", "all"]
    assert [line.split() for line in lines if line.split()[0] == "stop"] == [
        ["stop", "0/1", "0/1", "0/2"]
    ]
    assert "miss [sw] 'acha': expected stop, got nlu_fallback (0.70)" in text
    assert "miss [en] 'zzz': expected stop, got None" in text


def test_empty_set_scores_zero_without_dividing_by_zero() -> None:
    report = intent_accuracy(fake_parser({}), [])
    assert (report.total, report.accuracy, report.accuracy_in("en")) == (0, 0.0, 0.0)


# ------------------------------------------------------------- models and servers


def test_newest_model_is_the_last_written(tmp_path: Path) -> None:
    assert newest_model(tmp_path) is None
    old, new = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    for age, path in ((200, old), (100, new)):
        path.write_bytes(b"")
        stamp = path.stat().st_mtime - age
        os.utime(path, (stamp, stamp))
    (tmp_path / ".gitkeep").write_text("")
    assert newest_model(tmp_path) == new


class _FakeRasa(BaseHTTPRequestHandler):
    """Answers /model/parse as Rasa does: list_courses for anything with "kozi"."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        intent = "list_courses" if "kozi" in body["text"] else "stop"
        reply = json.dumps({"text": body["text"], "intent": {"name": intent}, "entities": []})
        ok = self.path == "/model/parse"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def fake_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_http_parser_asks_model_parse(fake_server: str) -> None:
    parse = http_parser(fake_server)
    assert parse("mna kozi gani")["intent"]["name"] == "list_courses"
    assert parse("acha")["intent"]["name"] == "stop"


def test_main_scores_a_server_and_prints_the_table(
    fake_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evaluate.main(["--url", fake_server]) == 0
    out = capsys.readouterr().out
    assert "language detector:" in out
    assert f"held-out NLU set: {len(load_heldout())} messages" in out
    assert re.search(r"^  list_courses(\s+\d+/\d+){4}$", out, re.M)
    # Out-of-scope messages are scored apart, not as an intent of the table.
    assert re.search(r"^out of scope rejected: \d+/\d+ = ", out, re.M)
    assert not re.search(r"^  out_of_scope ", out, re.M)


def test_main_without_a_model_says_so_and_trains_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(evaluate, "newest_model", lambda: None)
    monkeypatch.setattr(evaluate, "ModelParser", None)  # would fail if it tried to load
    assert evaluate.main([]) == 0
    out = capsys.readouterr().out
    assert "language detector:" in out
    assert "no trained model" in out and "make train" in out


def _parsed(intent: str, key: str | None = None) -> dict:
    selector = {"data_protection": {"response": {"intent_response_key": key, "confidence": 0.9}}}
    return {"intent": {"name": intent, "confidence": 0.9}, "response_selector": selector}


def test_a_topic_counts_only_with_the_right_intent_and_the_right_answer() -> None:
    items = [
        HeldOutMessage("q1", "data_protection", "en", [], "data_protection/fines"),
        HeldOutMessage("q2", "data_protection", "sw", [], "data_protection/dpo"),
        HeldOutMessage("q3", "data_protection", "mixed", [], "data_protection/dpia"),
        HeldOutMessage("not a topic", "stop", "en", []),
    ]
    answers = {
        "q1": _parsed("data_protection", "data_protection/fines"),
        "q2": _parsed("data_protection", "data_protection/dpia"),  # wrong answer
        "q3": _parsed("privacy_notice", "data_protection/dpia"),  # wrong intent
    }
    report = topic_accuracy(answers.__getitem__, items)
    assert (report.total, report.correct) == (3, 1)
    assert report.accuracy_in("sw", "mixed") == 0.0 and report.accuracy_in("en") == 1.0
    assert [m.got for m in report.misses] == ["data_protection/dpia", "privacy_notice"]
    assert "1/3" in report.as_text() and "miss [sw] 'q2'" in report.as_text()


def test_remembered_parses_each_text_once() -> None:
    calls: list[str] = []

    def parse(text: str) -> dict:
        calls.append(text)
        return {"intent": {"name": "stop"}}

    once = remembered(parse)
    once("acha")
    once("acha")
    once("stop")
    assert calls == ["acha", "stop"]
