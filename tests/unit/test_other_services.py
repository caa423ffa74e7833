"""The other-services guard (bot/nlu/other_services.py): a message about another
service never goes to a flow that reads or changes an officer's enrolment."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.other_services import GUARDED, OtherServicesGuard, guard, other_services


@pytest.mark.parametrize(
    ("intent", "text", "category"),
    [
        ("register", "nataka ku-register company yangu", "business_and_elections"),
        ("check_status", "status ya maombi yangu ya pasipoti", "identity_documents"),
        ("withdraw", "withdraw 2000 from M-PESA", "money"),
        ("withdraw", "nataka kutoa pesa kwa ATM", "money"),
        ("update_details", "update my KRA PIN details", "tax_and_benefits"),
        ("my_data_erase", "delete my Facebook account", "telecoms_and_media"),
        ("register", "register a new SIM card for me", "telecoms_and_media"),
        ("check_status", "where is my HELB loans application", "tax_and_benefits"),
    ],
)
def test_another_service_without_the_training_is_out_of_scope(
    intent: str, text: str, category: str
) -> None:
    mentions = guard(intent, text, set())
    assert mentions, text
    assert category in {m.category for m in mentions}


@pytest.mark.parametrize(
    ("intent", "text", "entities"),
    [
        # About the training after all: a course found, or a training word.
        ("register", "register me for cloud, my KRA PIN is ready", {"course"}),
        ("withdraw", "withdraw me from the course, I got a loan to study", set()),
        ("check_status", "hali ya ombi langu la kozi", set()),
        # Not a guarded intent: left to the classifier and the fallback.
        ("course_details", "can I pay the fee by M-Pesa", set()),
        # Nothing of another service.
        ("register", "nisajili tafadhali", set()),
    ],
)
def test_the_training_or_an_unguarded_intent_is_left_alone(
    intent: str, text: str, entities: set[str]
) -> None:
    assert guard(intent, text, entities) == []


def test_only_the_flows_that_read_or_change_enrolment_are_guarded() -> None:
    assert set(GUARDED) == {
        "register", "withdraw", "check_status", "update_details", "my_data_erase",
    }  # fmt: skip


def component_result(text: str, intent: str, confidence: float) -> Message:
    message = Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": intent, "confidence": confidence},
                {"name": "out_of_scope", "confidence": 0.2},
            ],
            "entities": [],
        }
    )
    [done] = OtherServicesGuard(other_services()).process([message])
    return done


def test_the_component_puts_out_of_scope_first_and_says_why() -> None:
    parsed = component_result("register my company with the registrar", "register", 0.7)
    assert parsed.get("intent") == {"name": "out_of_scope", "confidence": 0.7}
    ranking = parsed.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["out_of_scope", "register"]
    assert parsed.get("other_service") == [
        {"category": "business_and_elections", "text": "company"}
    ]
    assert "other_service" in parsed.as_dict_nlu()


def test_the_component_leaves_the_training_alone() -> None:
    parsed = component_result("register me for the AI course please", "register", 0.9)
    assert parsed.get("intent") == {"name": "register", "confidence": 0.9}
    assert parsed.get("other_service") is None
