"""The registration conversation as plain Python (issue 3, scope 3): how each
message is read against the question being asked, how answers are checked, how
an intake is chosen in words, and which questions come in which order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.catalogue import load_catalogue
from bot.registration import (
    ELIGIBILITY_SLOTS,
    FORM_SLOTS,
    PERSONAL_SLOTS,
    Checked,
    Message,
    check_course,
    check_email,
    check_employer,
    check_full_name,
    check_job_group,
    check_personal_number,
    check_phone,
    eligibility_known,
    interpret,
    looks_like_a_request,
    match_cohort,
    missing_prerequisites,
    registration_open,
    required_slots,
    yes_or_no,
)
from bot.replies import catalogue
from tests.unit.course_builders import cohort, course

PATTERN = r"^\d{6,10}$"  # the default PERSONAL_NUMBER_PATTERN
CLOUD = course("CLD-201")  # prerequisite DLF-101, no nomination
LITERACY = course(
    "DLF-101", prerequisites=(), interns_allowed=True, min_job_group="A", max_job_group=None
)
LEADERSHIP = course("DLS-301", prerequisites=(), requires_nomination=True, min_job_group="P")
CODES = [c.code for c in load_catalogue().courses]


def said(
    text: str, intent: str | None = "inform", confidence: float = 0.9, **entities: Any
) -> Message:
    return Message(
        text=text,
        intent=intent,
        confidence=confidence,
        entities=[{"entity": name, "value": value} for name, value in entities.items()],
    )


# --- Reading a message: answers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("phone_number", "0733 456 789"),
        ("email", "ochieng.p@lands.go.ke"),
        ("personal_number", "2019 4455"),
        ("cohort", "the one in October"),
        ("job_group", "group L"),
        ("employer", "National Treasury"),
        ("full_name", "Baraka Mwangi Kilonzo"),
    ],
)
def test_raw_text_answers_the_question_asked(slot: str, text: str) -> None:
    """Before validation: the checks (below) decide whether it is a good answer."""
    assert interpret(said(text, "nlu_fallback", 0.4), slot) == {slot: text}


def test_an_entity_for_the_question_asked_gives_its_normalised_value() -> None:
    message = said("0733 456 789", phone_number="+254733456789")
    assert interpret(message, "phone_number") == {"phone_number": "+254733456789"}


def test_a_correction_by_entity_fills_that_slot_not_the_one_asked() -> None:
    message = said("actually my email is x@y.ke", email="x@y.ke")
    assert interpret(message, "phone_number") == {"email": "x@y.ke"}


def test_a_name_correction_while_asked_for_something_else() -> None:
    message = said("sorry my name is Jane Wanjiku Mwangi")
    assert interpret(message, "email") == {"full_name": "Jane Wanjiku Mwangi"}


def test_an_employer_correction_while_asked_for_something_else() -> None:
    message = said("I now work for Kaunti ya Nyeri")
    assert interpret(message, "phone_number") == {"employer": "Kaunti ya Nyeri"}


def test_contact_details_in_the_same_message_are_not_read_as_an_employer() -> None:
    message = said("I work at Treasury, my email is tr@treasury.go.ke", email="tr@treasury.go.ke")
    assert interpret(message, "phone_number") == {"email": "tr@treasury.go.ke"}


def test_with_no_question_asked_only_entities_count() -> None:
    assert interpret(said("JG L here", job_group="L"), None) == {"job_group": "L"}
    assert interpret(said("Kilimo House"), None) == {}


# --- Reading a message: interruptions ------------------------------------------------------


@pytest.mark.parametrize(
    "slot",
    [
        "course",
        "job_group",
        "prerequisite_declared",
        "cohort",
        "consent",
        "full_name",
        "personal_number",
        "email",
        "phone_number",
        "employer",
        "confirmed",
    ],
)
def test_a_question_about_a_course_mid_form_answers_nothing(slot: str) -> None:
    question = said("how many weeks does the AI one run for?", "course_details", 0.95)
    assert interpret(question, slot, prerequisites=("DLF-101",)) == {}


@pytest.mark.parametrize("slot", ["email", "full_name", "employer", "consent", None])
def test_stop_answers_nothing(slot: str | None) -> None:
    assert interpret(said("stop", "stop", 0.99), slot) == {}
    assert interpret(said("acha hii yote", "stop", 0.6), slot) == {}


def test_an_unsure_model_does_not_override_the_question_asked() -> None:
    name = said("Achieng Odhiambo Awino", "course_details", 0.55)
    assert interpret(name, "full_name") == {"full_name": "Achieng Odhiambo Awino"}
    # Below the classifier's boundary, a bare answer is still an answer.
    assert interpret(said("0712 345 678", "course_details", 0.3), "phone_number") != {}


@pytest.mark.parametrize("slot", ["phone_number", "email", "job_group"])
def test_a_question_is_not_an_answer_even_when_the_model_is_unsure(slot: str) -> None:
    # Clear of the fallback threshold, and it reads as a question.
    question = said("hold on, where is this course held?", "course_details", 0.3)
    assert question.is_not_an_answer
    assert interpret(question, slot) == {}
    # Below the fallback threshold it is not trusted.
    assert not said("hold on, where is this course held?", "course_details", 0.1).is_not_an_answer


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("full_name", "Grace Atieno Were", "greet"),
        ("full_name", "Someone Else Entirely", "withdraw"),
        ("employer", "Kaunti ya Kisumu", "out_of_scope"),
        ("personal_number", "12ab", "affirm"),
    ],
)
def test_an_answer_the_model_is_wrongly_sure_about_is_still_an_answer(
    slot: str, text: str, intent: str
) -> None:
    """Names, employers and numbers are unfamiliar text to the model; only a message
    that also reads like a question or request is set aside."""
    assert interpret(said(text, intent, 0.95), slot) == {slot: text}


def test_a_question_that_carries_the_answer_asked_for_is_an_answer() -> None:
    message = said("I'm JG M, can I do it?", "check_eligibility", 0.95, job_group="M")
    assert interpret(message, "job_group") == {"job_group": "M"}


def test_a_bare_yes_answers_no_open_question() -> None:
    assert interpret(said("yes that's it", "affirm", 0.99), "email") == {}
    assert interpret(said("hapana bwana", "deny", 0.99), "employer") == {}


def test_looks_like_a_request() -> None:
    assert looks_like_a_request("naweza kubadilisha kozi?")
    assert looks_like_a_request("please tell me the dates")
    assert looks_like_a_request("nataka kuacha")
    assert not looks_like_a_request("Wekesa Barasa Simiyu")
    assert not looks_like_a_request("Ministry of Lands")
    assert not looks_like_a_request("")


# --- Yes/no questions -------------------------------------------------------------------------


@pytest.mark.parametrize("slot", ["prerequisite_declared", "nominated", "consent", "confirmed"])
def test_yes_no_questions_take_affirm_and_deny(slot: str) -> None:
    assert interpret(said("yes, go ahead with it", "affirm", 0.99), slot) == {slot: True}
    assert interpret(said("hapana, sitaki hiyo", "deny", 0.99), slot) == {slot: False}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ndio nimeimaliza", True),
        ("yes i did it last year", True),
        ("nimeteuliwa tayari", True),
        ("not yet unfortunately", False),
        ("bado sijamaliza", False),
        ("sijateuliwa bado", False),
    ],
)
def test_yes_and_no_in_words_when_the_model_says_neither(text: str, value: bool) -> None:
    assert yes_or_no(text) is value
    assert interpret(said(text, "inform", 0.6), "nominated") == {"nominated": value}


def test_a_yes_no_question_with_no_yes_or_no_in_the_answer_gets_nothing() -> None:
    assert yes_or_no("sijui kwa kweli") is None
    assert interpret(said("sijui kwa kweli", "nlu_fallback", 0.3), "nominated") == {}


@pytest.mark.parametrize("intent", ["affirm", "inform"])
def test_naming_the_prerequisite_declares_it_without_switching_course(intent: str) -> None:
    message = said("yes I did DLF-101", intent, 0.9, course="DLF-101")
    values = interpret(message, "prerequisite_declared", prerequisites=("DLF-101",))
    assert values == {"prerequisite_declared": True}
    assert "course" not in values


def test_a_course_named_in_answer_to_the_course_question_is_the_course() -> None:
    assert interpret(said("cloud please", course="CLD-201"), "course") == {"course": "CLD-201"}


def test_asking_to_register_for_another_course_mid_form_switches_course() -> None:
    message = said("I'd rather do the AI course instead", "register", 0.95, course="AIP-201")
    assert interpret(message, "cohort") == {"course": "AIP-201"}


def test_small_talk_is_not_a_course() -> None:
    assert interpret(said("hello again my friend", "greet", 0.95), "course") == {}


# --- Names and employers: prefixes are not part of the answer ------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("jina langu ni Wanjiru Kamau", "Wanjiru Kamau"),
        ("jina langu kamili ni Akinyi Otieno Adhiambo", "Akinyi Otieno Adhiambo"),
        ("naitwa Chebet Kiprono.", "Chebet Kiprono"),
        ("mimi ni Halima Abdi", "Halima Abdi"),
        ("my name is Otieno Ochieng Odhiambo", "Otieno Ochieng Odhiambo"),
        ("My full name is Amina Hassan Ali", "Amina Hassan Ali"),
        ("I'm called Mutua Musyoka", "Mutua Musyoka"),
        ("actually, my names are Njeri Wambui", "Njeri Wambui"),
        ("Kamau Njoroge", "Kamau Njoroge"),
    ],
)
def test_name_prefixes_are_stripped(text: str, name: str) -> None:
    assert interpret(said(text, "inform", 0.7), "full_name") == {"full_name": name}


@pytest.mark.parametrize(
    ("text", "employer"),
    [
        ("I work at the Ministry of Health", "Ministry of Health"),
        ("I'm with the Kenya Revenue Authority", "Kenya Revenue Authority"),
        ("my employer is: State Department for ICT", "State Department for ICT"),
        ("nafanya kazi katika Kaunti ya Nakuru", "Kaunti ya Nakuru"),
        ("ninafanya kazi kwenye Kaunti ya Kakamega.", "Kaunti ya Kakamega"),
        ("mwajiri wangu ni Wizara ya Elimu", "Wizara ya Elimu"),
        ("niko Hazina ya Taifa", "Hazina ya Taifa"),
        ("Kenya Ports Authority", "Kenya Ports Authority"),
    ],
)
def test_employer_prefixes_are_stripped(text: str, employer: str) -> None:
    assert interpret(said(text, "inform", 0.7), "employer") == {"employer": employer}


# --- Interns and attachés ------------------------------------------------------------------------


def test_an_intern_answers_the_job_group_question_with_no_job_group() -> None:
    message = said("I'm just an intern here", terms_of_service="intern")
    assert interpret(message, "job_group") == {"terms_of_service": "intern", "job_group": None}


def test_an_attache_asking_a_question_still_answers_the_job_group_question() -> None:
    message = said(
        "mimi ni attaché, naruhusiwa?", "check_eligibility", 0.95, terms_of_service="attache"
    )
    assert interpret(message, "job_group") == {"terms_of_service": "attache", "job_group": None}


# --- Checking answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wanjiru kamau", Checked(value="Wanjiru Kamau")),
        ("  jane   wanjiku  ", Checked(value="Jane Wanjiku")),
        ("Mary-Anne O'Brien Achieng", Checked(value="Mary-Anne O'Brien Achieng")),
        ("JOHN OTIENO", Checked(value="JOHN OTIENO")),  # kept as typed: not all lower case
        ("Wanjiru", Checked(problem="name_one_word")),
        ("", Checked(problem="name_empty")),
        (None, Checked(problem="name_empty")),
        ("Jane W4njiku", Checked(problem="name_characters")),
        ("jane@x.ke Mwangi", Checked(problem="name_characters")),
        ("Ann Bea Cate Dora Eve Faith Grace", Checked(problem="name_too_long")),
    ],
)
def test_check_full_name(text: str | None, expected: Checked) -> None:
    assert check_full_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ministry of Health", Checked(value="Ministry of Health")),
        ("Kaunti ya Kisumu.", Checked(value="Kaunti ya Kisumu")),
        ("KRA", Checked(value="KRA")),
        ("ab", Checked(problem="employer_too_short")),
        ("12", Checked(problem="employer_too_short")),
        ("", Checked(problem="employer_too_short")),
        ("x" * 201, Checked(problem="employer_too_long")),
        ("jane@health.go.ke", Checked(problem="employer_not_a_name")),
        ("my email is jane@health.go.ke", Checked(problem="employer_not_a_name")),
    ],
)
def test_check_employer(text: str, expected: Checked) -> None:
    assert check_employer(text) == expected


@pytest.mark.parametrize(
    ("text", "value", "problem", "note"),
    [
        ("K", "K", None, None),
        ("m", "M", None, None),
        ("JG K", "K", None, None),
        ("jg-m", "M", None, None),
        ("JGP", "P", None, None),
        ("kundi la kazi P", "P", None, None),
        ("CSG 10", "K", None, "csg_unconfirmed"),
        ("CSG 99", None, "job_group_csg_unknown", None),
        ("I", None, "job_group_not_a_job_group", None),
        ("job group O", None, "job_group_not_a_job_group", None),
        ("banana", None, "job_group_not_found", None),
        (None, None, "job_group_not_found", None),
    ],
)
def test_check_job_group(
    text: str | None, value: str | None, problem: str | None, note: str | None
) -> None:
    assert check_job_group(text) == Checked(value=value, problem=problem, note=note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane@Health.GO.KE", Checked(value="Jane@health.go.ke")),
        ("jane@x.ke.", Checked(value="jane@x.ke")),
        ("", Checked(problem="email_empty")),
        ("jane", Checked(problem="email_missing_at")),
        ("jane@@x.ke", Checked(problem="email_too_many_at")),
        ("@x.ke", Checked(problem="email_missing_name")),
        ("jane@", Checked(problem="email_missing_domain")),
        ("jane@x", Checked(problem="email_domain_without_dot")),
        ("jane doe@x.ke", Checked(problem="email_has_space")),
        ("jane@x..ke", Checked(problem="email_bad_domain")),
    ],
)
def test_check_email(text: str, expected: Checked) -> None:
    assert check_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0722 123 456", Checked(value="+254722123456")),
        ("+254722123456", Checked(value="+254722123456")),
        ("+254 722 123 456", Checked(value="+254722123456")),
        ("0112345678", Checked(value="+254112345678")),
        ("", Checked(problem="phone_empty")),
        ("abc", Checked(problem="phone_not_a_number")),
        ("0722", Checked(problem="phone_too_short")),
        ("07221234567", Checked(problem="phone_too_long")),
        ("+1 202 555 0100", Checked(problem="phone_not_kenyan")),
        ("020 123 4567", Checked(problem="phone_landline")),
    ],
)
def test_check_phone(text: str, expected: Checked) -> None:
    assert check_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20231234", Checked(value="20231234")),
        ("2023 1234", Checked(value="20231234")),
        ("", Checked(problem="personal_number_empty")),
        ("12ab", Checked(problem="personal_number_wrong_format")),
        ("123", Checked(problem="personal_number_wrong_format")),
    ],
)
def test_check_personal_number(text: str, expected: Checked) -> None:
    assert check_personal_number(text, PATTERN) == expected


def test_the_personal_number_format_comes_from_the_pattern() -> None:
    assert check_personal_number("PF-1234", r"^PF-\d{4}$") == Checked(value="PF-1234")
    assert check_personal_number("20231234", r"^PF-\d{4}$").problem == (
        "personal_number_wrong_format"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CLD-201", Checked(value="CLD-201")),
        ("cld 201", Checked(value="CLD-201")),
        ("the cloud one", Checked(value="CLD-201")),
        ("kozi ya akili bandia", Checked(value="AIP-201")),
        ("basket weaving", Checked(problem="course_unknown")),
        ("XYZ-999", Checked(problem="course_unknown")),
        ("", Checked(problem="course_unknown")),
        (None, Checked(problem="course_unknown")),
    ],
)
def test_check_course(text: str | None, expected: Checked) -> None:
    assert check_course(text, CODES) == expected


def test_a_course_not_offered_is_unknown_even_if_named_correctly() -> None:
    assert check_course("DGP-202", ["CLD-201", "AIP-201"]) == Checked(problem="course_unknown")


def test_every_problem_a_check_reports_has_a_reply() -> None:
    problems = {check_full_name(t).problem for t in ("", "Wanjiru", "W4 x", "a b c d e f g")} | {
        check_employer(t).problem for t in ("ab", "x" * 201, "a@b.ke")
    }
    problems |= {check_job_group(t).problem for t in ("banana", "I", "CSG 99")}
    problems |= {
        check_email(t).problem
        for t in ("", "a b@c.ke", "ab", "a@@b", "@b.ke", "a@", "a@b", "a@b..ke")
    }
    problems |= {
        check_phone(t).problem
        for t in ("", "abc", "0722", "07221234567", "+1 202 555 0100", "020 123 4567")
    }
    problems |= {check_personal_number(t, PATTERN).problem for t in ("", "12ab")}
    problems |= {check_course("basket weaving", CODES).problem}
    assert None not in problems
    assert len(problems) >= 25
    missing = sorted(problems - set(catalogue()))
    assert not missing, f"problems without a reply: {missing}"


# --- Choosing an intake in words -----------------------------------------------------------------

MARCH = cohort("AIP-201-2027-03", date(2027, 3, 8), campus="Lower Kabete")
JUNE = cohort("AIP-201-2027-06", date(2027, 6, 7), campus="Mombasa")
OCTOBER = cohort("AIP-201-2027-10", date(2027, 10, 4), campus="Embu")
NOVEMBER = cohort("AIP-201-2027-11", date(2027, 11, 8), campus="Lower Kabete")
OFFERED = (MARCH, JUNE, OCTOBER, NOVEMBER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AIP-201-2027-06", JUNE),  # a button
        (" aip-201-2027-10 ", OCTOBER),
        ("Mombasa", JUNE),
        ("the one in embu please", OCTOBER),
        ("Lower Kabete in November", NOVEMBER),
        ("the June one", JUNE),
        ("juni", JUNE),
        ("ya Novemba", NOVEMBER),
        ("oct", OCTOBER),
        ("ile ya mwezi wa sita", JUNE),
        ("mwezi wa 6", JUNE),
        ("mwezi wa kumi", OCTOBER),
        ("ile ya mwezi wa kumi na moja", NOVEMBER),
        ("the second one", JUNE),
        ("ya pili", JUNE),
        ("first", MARCH),
        ("nipe ile ya kwanza", MARCH),
        ("3rd", OCTOBER),
        ("the last one", NOVEMBER),
        ("ya mwisho", NOVEMBER),
    ],
)
def test_an_intake_is_chosen_by_code_campus_month_or_position(text: str, expected: Any) -> None:
    assert match_cohort(text, OFFERED) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Lower Kabete",  # two intakes there
        "Mombasa in March",  # no such intake
        "December",
        "mwezi wa tisa",
        "the one in Nairobi",
        "any will do",
        "",
        None,
    ],
)
def test_an_ambiguous_or_unknown_choice_picks_nothing(text: str | None) -> None:
    assert match_cohort(text, OFFERED) is None


def test_a_month_shared_by_two_intakes_needs_the_campus() -> None:
    june_embu = cohort("AIP-201-2027-06B", date(2027, 6, 21), campus="Embu")
    offered = (JUNE, june_embu)
    assert match_cohort("June", offered) is None
    assert match_cohort("June, Embu", offered) == june_embu


def test_a_position_beyond_the_intakes_offered_picks_nothing() -> None:
    assert match_cohort("the third one", (MARCH, JUNE)) is None
    assert match_cohort("the last", ()) is None


# --- Which questions, in which order --------------------------------------------------------------


def test_without_a_course_only_the_course_is_asked() -> None:
    assert required_slots({}, None) == ["course"]


def test_eligibility_comes_before_the_intake_then_consent_then_personal_details() -> None:
    order = required_slots({}, CLOUD)
    assert order == [
        "course",
        "job_group",
        "prerequisite_declared",
        "cohort",
        "consent",
        *PERSONAL_SLOTS,
        "confirmed",
    ]
    assert order.index("cohort") < order.index("consent") < order.index("full_name")


def test_a_completed_prerequisite_is_not_asked_about() -> None:
    assert "prerequisite_declared" not in required_slots({}, CLOUD, completed=["DLF-101"])
    assert "prerequisite_declared" not in required_slots({}, LITERACY)
    assert missing_prerequisites(CLOUD, []) == ["DLF-101"]
    assert missing_prerequisites(CLOUD, {"DLF-101"}) == []


@pytest.mark.parametrize("terms", ["intern", "attache"])
def test_interns_and_attaches_are_not_asked_their_job_group(terms: str) -> None:
    order = required_slots({"terms_of_service": terms}, LITERACY)
    assert "job_group" not in order
    assert order[:3] == ["course", "cohort", "consent"]


def test_a_nomination_course_asks_about_the_nomination() -> None:
    order = required_slots({}, LEADERSHIP)
    assert order[:4] == ["course", "job_group", "nominated", "cohort"]
    both = replace(LEADERSHIP, prerequisites=("DLF-101",))
    assert required_slots({}, both)[:5] == [
        "course",
        "job_group",
        "prerequisite_declared",
        "nominated",
        "cohort",
    ]


def test_an_ineligible_officer_is_asked_nothing_more() -> None:
    assert required_slots({"eligible": False, "job_group": "G"}, CLOUD) == []


def test_refused_consent_ends_the_form() -> None:
    assert required_slots({"eligible": True, "consent": False}, CLOUD) == []


def test_an_officer_on_file_is_not_asked_for_personal_details_again() -> None:
    order = required_slots({}, CLOUD, officer_on_file=True)
    assert not set(order) & set(PERSONAL_SLOTS)
    assert order[-2:] == ["consent", "confirmed"]


def test_every_question_asked_is_a_form_slot() -> None:
    asked = set(required_slots({}, replace(LEADERSHIP, prerequisites=("DLF-101",))))
    assert asked <= set(FORM_SLOTS)


def test_eligibility_is_known_when_every_eligibility_question_asked_has_an_answer() -> None:
    required = required_slots({}, CLOUD)
    assert set(ELIGIBILITY_SLOTS) & set(required) == {
        "course",
        "job_group",
        "prerequisite_declared",
    }
    slots = {"course": "CLD-201", "job_group": "M"}
    assert not eligibility_known(slots, required)
    assert eligibility_known({**slots, "prerequisite_declared": False}, required)
    assert eligibility_known(
        {"course": "DLF-101"}, required_slots({"terms_of_service": "intern"}, LITERACY)
    )


def test_registration_is_open_up_to_and_including_the_deadline() -> None:
    assert registration_open(JUNE, JUNE.registration_deadline)
    assert not registration_open(JUNE, date(2027, 6, 1))


@pytest.mark.parametrize("intent", ["check_eligibility", "course_details", "register", "inform"])
def test_a_worded_yes_answers_the_prerequisite_question_whatever_the_intent(intent: str) -> None:
    message = Message(
        "ndiyo nimemaliza DLF-101", intent, 0.99, [{"entity": "course", "value": "DLF-101"}]
    )
    assert interpret(message, "prerequisite_declared", prerequisites=["DLF-101"]) == {
        "prerequisite_declared": True
    }


@pytest.mark.parametrize(
    "text",
    ["namba yangu ni 20195837", "my number is 20195837", "nambari ni 20195837", "it's 20195837"],
)
def test_my_number_is_answers_the_personal_number_question(text: str) -> None:
    values = interpret(said(text, "inform", 0.7), "personal_number")
    assert values == {"personal_number": "20195837"}
