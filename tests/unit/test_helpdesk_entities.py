"""The entities the bot reads from what officers type, normalised as contract §3
says (bot.nlu.helpdesk_entities). DIET recognises no entities, so these rules are
all the bot has: a value missed here is a question the bot asks again."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.helpdesk_entities import HelpdeskEntityExtractor, extract_entities

DEFAULT_PATTERN = r"^\d{6,10}$"


def found(text: str, pattern: str = DEFAULT_PATTERN) -> list[tuple[str, str]]:
    """(entity, value) pairs, in the order they occur in ``text``."""
    return [(e["entity"], e["value"]) for e in extract_entities(text, pattern)]


def typed(text: str, entity: str, pattern: str = DEFAULT_PATTERN) -> list[str]:
    """What the officer typed for each ``entity`` (``text[start:end]``)."""
    return [
        text[e["start"] : e["end"]]
        for e in extract_entities(text, pattern)
        if e["entity"] == entity
    ]


# --- whole messages, as officers write them ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I'm job group K, can I do the AI course?",
            [("job_group", "K"), ("course", "AIP-201")],
        ),
        ("nataka kujiandikisha kozi ya cloud", [("course", "CLD-201")]),
        ("my personal number is 20231234", [("personal_number", "20231234")]),
        ("email yangu ni jane.w@Health.go.ke", [("email", "jane.w@health.go.ke")]),
        ("namba yangu ni 0722 123 456", [("phone_number", "+254722123456")]),
        ("actually my email is otieno@gmail.com", [("email", "otieno@gmail.com")]),
        ("status ya KSG-7F3K9Q", [("reference", "KSG-7F3K9Q")]),
        ("compare cld201 and cyber", [("course", "CLD-201"), ("course", "CSE-201")]),
        ("CSG 10 here", [("job_group", "K")]),
        ("I'm an intern", [("terms_of_service", "intern")]),
        ("internet banking", []),
        (
            "Habari, mimi ni JG L, niko attachment, naweza kusoma usalama wa mtandao?",
            [("job_group", "L"), ("terms_of_service", "attache"), ("course", "CSE-201")],
        ),
        (
            "P/No. 20231234, phone +254 712 345678, email j.kamau@treasury.go.ke",
            [
                ("personal_number", "20231234"),
                ("phone_number", "+254712345678"),
                ("email", "j.kamau@treasury.go.ke"),
            ],
        ),
        (
            "my pn ni 123456 na simu 0712-345-678.",
            [
                ("personal_number", "123456"),
                ("phone_number", "+254712345678"),
            ],
        ),  # fmt: skip
        ("Hello, what courses do you offer?", []),
        ("asante sana", []),
        ("", []),
    ],
)
def test_realistic_messages(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_spans_are_what_the_officer_typed() -> None:
    text = "I'm job group K, can I do the AI course? Email: Jane@KSG.ac.ke, simu 0712 345 678"
    entities = extract_entities(text, DEFAULT_PATTERN)
    assert [(e["entity"], text[e["start"] : e["end"]]) for e in entities] == [
        ("job_group", "job group K"),
        ("course", "AI course"),
        ("email", "Jane@KSG.ac.ke"),
        ("phone_number", "0712 345 678"),
    ]
    assert set(entities[0]) == {"entity", "value", "start", "end"}


def test_the_pattern_defaults_to_the_configured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONAL_NUMBER_PATTERN", r"^KS\d{5}$")
    assert [(e["entity"], e["value"]) for e in extract_entities("my P/No is KS12345")] == [
        ("personal_number", "KS12345")
    ]
    monkeypatch.delenv("PERSONAL_NUMBER_PATTERN")
    assert extract_entities("my P/No is KS12345") == []


# --- courses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("is CLD-201 online?", ["CLD-201"]),
        ("kozi ya akili bandia inaanza lini?", ["AIP-201"]),
        ("I did DLF-101, can I do cloud next?", ["DLF-101", "CLD-201"]),
        ("cloud computing, that is CLD 201", ["CLD-201"]),  # one course, said twice
        ("naomba details za cyber course", ["CSE-201"]),
        ("is ABC-123 available?", []),  # not in the catalogue
    ],
)
def test_courses_become_their_codes(text: str, codes: list[str]) -> None:
    assert [v for e, v in found(text) if e == "course"] == codes


def test_course_words_inside_an_email_are_not_courses() -> None:
    assert found("write to cyber.cloud@ict.go.ke") == [("email", "cyber.cloud@ict.go.ke")]


# --- job groups ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("JG K", ["K"]),
        ("jgk", ["K"]),
        ("mimi ni kundi la kazi M", ["M"]),
        ("my job group is 'p'.", ["P"]),
        ("csg11", ["J"]),
        ("I was JG J, now JG K", ["J", "K"]),
        ("JG K, that is CSG 10", ["K"]),  # the same grade twice is one entity
        ("JG I", []),  # there is no job group I (contract §5)
        ("job group O", []),
        ("CSG 12", []),  # not in job_groups.yml: the bot asks, never guesses
        ("JG I, sorry JG L", ["L"]),
        ("K", []),  # a bare letter is a job group only when the bot asked for one
        ("I am a teacher", []),
    ],
)
def test_job_groups_are_letters(text: str, letters: list[str]) -> None:
    assert [v for e, v in found(text) if e == "job_group"] == letters


def test_a_job_group_span_covers_the_whole_mention() -> None:
    assert typed("naweza? niko kundi la kazi K", "job_group") == ["kundi la kazi K"]
    assert typed("CSG 10 here", "job_group") == ["CSG 10"]


# --- emails ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("my email is jane.wanjiru@health.go.ke.", ["jane.wanjiru@health.go.ke"]),
        ("Email: PKamau@Treasury.GO.KE", ["PKamau@treasury.go.ke"]),  # domain lower-cased
        ("tuma kwa otieno2023@gmail.com tafadhali", ["otieno2023@gmail.com"]),
        ("(mary_a+ksg@yahoo.com)", ["mary_a+ksg@yahoo.com"]),
        ("jane@gmail", []),  # no domain dot: invalid, skipped
        ("jane@@gmail.com", []),
        ("send it @ 10am", []),
    ],
)
def test_emails(text: str, emails: list[str]) -> None:
    assert [v for e, v in found(text) if e == "email"] == emails


def test_numbers_inside_an_email_are_nothing_else() -> None:
    assert found("20231234@ksg.ac.ke") == [("email", "20231234@ksg.ac.ke")]
    assert found("0712345678@safaricom.co.ke") == [("email", "0712345678@safaricom.co.ke")]
    assert found("my P/No is 20231234@x") == []  # an address, even an invalid one
    assert found("jg.k@health.go.ke") == [("email", "jg.k@health.go.ke")]


# --- phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0712 345 678", "+254712345678"),
        ("0712-345-678", "+254712345678"),
        ("0712345678", "+254712345678"),
        ("+254 712 345678", "+254712345678"),
        ("+254712345678", "+254712345678"),
        ("254712345678", "+254712345678"),
        ("00254 712 345 678", "+254712345678"),
        ("+254 (0) 712 345678", "+254712345678"),
        ("0110 123456", "+254110123456"),
        ("0101234567", "+254101234567"),
        ("nipigie kwa 0722123456 jioni", "+254722123456"),
        ("my number is (0712) 345 678.", "+254712345678"),
        ("712345678", "+254712345678"),  # nine digits alone: bot.contact reads them
    ],
)
def test_kenyan_mobile_numbers(text: str, number: str) -> None:
    assert found(text) == [("phone_number", number)]


@pytest.mark.parametrize(
    "text",
    [
        "020 2222222",  # a Nairobi landline: no SMS
        "07123456789",  # one digit too many
        "071234567",  # one too few
        "+44 20 7946 0958",
        "call 0800 720 000",
        "mwaka 2024",
        "10 people",
    ],
)
def test_what_is_not_a_kenyan_mobile_number(text: str) -> None:
    assert [e for e, _ in found(text) if e == "phone_number"] == []


def test_two_phone_numbers_and_their_spans() -> None:
    text = "call me on 0712345678 or +254 722 123 456"
    assert found(text) == [("phone_number", "+254712345678"), ("phone_number", "+254722123456")]
    assert typed(text, "phone_number") == ["0712345678", "+254 722 123 456"]


def test_a_phone_number_does_not_swallow_the_next_number() -> None:
    assert typed("0712 345 678 20231234", "phone_number") == ["0712 345 678"]


# --- personal numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my personal number is 20231234",
        "Personal No. 20231234",
        "personal no: 20231234",
        "P/No 20231234",
        "P/No.20231234",
        "p.no 20231234",
        "PN 20231234",
        "PN: 20231234",
        "pf no 20231234",
        "payroll number 20231234",
        "my payroll is 20231234",
        "staff number: 20231234",
        "employee no 20231234",
        "namba ya kibinafsi ni 20231234",
        "nambari ya kazi 20231234",
        "namba ya kazi: 20231234",
        "namba yangu ya utumishi ni 20231234",
        "namba yangu ya kazi ni 2023 1234",  # grouped as it is read aloud
        "personal number yangu ni 20231234",
        "PN yangu ni hii 20231234",
        "20231234",
        "  2023 1234. ",
    ],
)
def test_personal_numbers_after_a_cue_or_alone(text: str) -> None:
    assert found(text) == [("personal_number", "20231234")]


def test_the_personal_number_span_is_the_number_only() -> None:
    assert typed("my personal number is 2023 1234, thanks", "personal_number") == ["2023 1234"]


@pytest.mark.parametrize(
    "text",
    [
        "I have 20231234 questions",  # no cue, and not alone
        "my number is 20231234",  # "number" alone could be anything
        "my id is 12345678",  # the national ID is not the payroll number
        "personal number 12345",  # too short for the pattern
        "P/No 12345678901",  # too long
        "2024",
        "12345",
    ],
)
def test_no_personal_number(text: str) -> None:
    assert [e for e, _ in found(text) if e == "personal_number"] == []


def test_a_ten_digit_number_starting_07_is_a_phone_even_after_a_personal_number_cue() -> None:
    assert found("0712345678") == [("phone_number", "+254712345678")]
    assert found("personal number 0712345678") == [("phone_number", "+254712345678")]


def test_eight_digits_alone_are_a_personal_number_not_a_phone() -> None:
    assert found("20231234") == [("personal_number", "20231234")]


def test_a_landline_alone_is_not_a_personal_number() -> None:
    assert found("0202222222") == []


def test_the_personal_number_follows_the_pattern_given() -> None:
    pattern = r"^[A-Z]{2}\d{5}$"
    assert found("my P/No is KS12345", pattern) == [("personal_number", "KS12345")]
    assert found("KS12345", pattern) == [("personal_number", "KS12345")]
    assert found("my P/No is 20231234", pattern) == []


def test_phone_and_personal_number_in_one_message() -> None:
    assert found("my phone is 0712345678 and PN 20231234") == [
        ("phone_number", "+254712345678"),
        ("personal_number", "20231234"),
    ]


def test_a_csg_grade_or_course_code_is_no_personal_number() -> None:
    assert found("PN CSG 10") == [("job_group", "K")]
    assert found("P/No CLD-201") == [("course", "CLD-201")]


# --- references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "KSG-7F3K9Q",
        "ksg 7f3k9q",
        "ksg7f3k9q",
        "KSG 7F3 K9Q",
        "status ya ksg-7f3k9q?",
        "my reference is 7F3K9Q",
        "ref 7f3k9q",
        "ref no. 7F3K9Q",
        "reference number: 7F3K9Q",
        "kumbukumbu yangu ni 7f3k9q",
        "namba ya kumbukumbu ni KSG7F3K9Q",
    ],
)
def test_references(text: str) -> None:
    assert found(text) == [("reference", "KSG-7F3K9Q")]


def test_a_hand_off_reference_keeps_its_prefix() -> None:
    assert found("HLP-7F3K9Q") == [("reference", "HLP-7F3K9Q")]


@pytest.mark.parametrize(
    "text",
    [
        "7F3K9Q",  # a bare code needs a cue
        "what does 7F3K9Q mean",
        "ref asante",  # a word, not a code
        "KSG branch",
        "KSG Embu campus",
        "KSG-7F3K9O",  # O is not in the reference alphabet
        "refund 234567",
        "refer ABCDEF",
    ],
)
def test_no_reference(text: str) -> None:
    assert [e for e, _ in found(text) if e == "reference"] == []


def test_a_code_of_capitals_is_a_reference() -> None:
    assert found("KSG BCDFGH") == [("reference", "KSG-BCDFGH")]
    assert found("ksg-bcdfgh") == [("reference", "KSG-BCDFGH")]


def test_digits_of_a_reference_are_no_personal_number_or_phone() -> None:
    assert found("ref 234567") == [("reference", "KSG-234567")]
    assert found("KSG-234567") == [("reference", "KSG-234567")]


# --- terms of service -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("I'm an intern", "intern"),
        ("I'm on internship at the ministry", "intern"),
        ("niko internship", "intern"),
        ("Interns can apply?", "intern"),
        ("mimi ni mwanafunzi wa mafunzo kazini", "intern"),
        ("I'm an attaché", "attache"),
        ("I am an attache at KSG", "attache"),
        ("I'm an attachee", "attache"),
        ("niko attachment", "attache"),
        ("I'm on attachment in Embu", "attache"),
        ("doing my industrial attachment", "attache"),
        ("attachment students wanaruhusiwa?", "attache"),
    ],
)
def test_terms_of_service(text: str, terms: str) -> None:
    assert [v for e, v in found(text) if e == "terms_of_service"] == [terms]


@pytest.mark.parametrize(
    "text",
    [
        "internet banking",
        "internal audit",
        "international relations",
        "I sent the attachment",  # an email attachment
        "see attachment",
        "she attaches the form",
        "attached is my CV",
    ],
)
def test_words_that_look_like_terms_of_service_but_are_not(text: str) -> None:
    assert [e for e, _ in found(text) if e == "terms_of_service"] == []


def test_the_terms_span() -> None:
    assert typed("I'm on industrial attachment", "terms_of_service") == ["industrial attachment"]
    assert typed("niko internship", "terms_of_service") == ["internship"]


# --- the Rasa component -----------------------------------------------------------------


def make_extractor(tmp_path: Path, config: dict | None = None) -> HelpdeskEntityExtractor:
    return HelpdeskEntityExtractor.create(
        {**HelpdeskEntityExtractor.get_default_config(), **(config or {})},
        LocalModelStorage(tmp_path),
        Resource("helpdesk_entities"),
        ExecutionContext(GraphSchema({})),
    )


def test_the_component_puts_the_entities_on_the_message(tmp_path: Path) -> None:
    extractor = make_extractor(tmp_path)
    earlier = {"entity": "message_language", "value": "en", "start": 0, "end": 5}
    first = Message(data={TEXT: "I'm JG K, PN 20231234, can I do cloud?", ENTITIES: [earlier]})
    second = Message(data={TEXT: "hello"})
    assert extractor.process([first, second]) == [first, second]

    entities = first.get(ENTITIES)
    assert entities[0] == earlier  # what other components found is kept
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in entities[1:]] == [
        ("job_group", "K", 4, 8),
        ("personal_number", "20231234", 13, 21),
        ("course", "CLD-201", 32, 37),
    ]
    assert {e["extractor"] for e in entities[1:]} == {"HelpdeskEntityExtractor"}
    assert {e["confidence"] for e in entities[1:]} == {1.0}
    assert second.get(ENTITIES, []) == []


def test_the_component_reads_the_pattern_when_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONAL_NUMBER_PATTERN", r"^\d{4}$")
    extractor = make_extractor(tmp_path)
    message = Message(data={TEXT: "P/No 2023"})
    extractor.process([message])
    assert [e["value"] for e in message.get(ENTITIES)] == ["2023"]


def test_the_component_config_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONAL_NUMBER_PATTERN", r"^\d{4}$")
    extractor = make_extractor(tmp_path, {"personal_number_pattern": r"^[A-Z]{2}\d{5}$"})
    message = Message(data={TEXT: "P/No KS12345 or 2023"})
    extractor.process([message])
    assert [e["value"] for e in message.get(ENTITIES)] == ["KS12345"]


def test_a_broken_pattern_is_refused_when_the_component_is_built(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigException, match="personal_number_pattern"):
        make_extractor(tmp_path, {"personal_number_pattern": r"^(\d{6,10}$"})


def test_training_data_is_left_alone(tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData([Message(data={TEXT: "JG K"})])
    assert make_extractor(tmp_path).process_training_data(data) is data


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("please reply in swahili from now", "sw"),
        ("nijibu kwa lugha ya taifa", "sw"),
        ("switch to English", "en"),
        ("ongea nami kwa kiingereza", "en"),
    ],
)
def test_a_named_language_is_an_entity(text: str, language: str) -> None:
    assert [(e["entity"], e["value"]) for e in extract_entities(text)] == [("language", language)]
