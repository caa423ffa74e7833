"""LanguagePolicy on real trackers: what the answer language becomes after a
message, as action_validate_slot_mappings used to decide it on the action server."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.language_policy import LanguagePolicy, settle

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


def after_message(*before, extracted: dict, text: str = "…") -> DialogueStateTracker:
    """A conversation, then a message and the slots Rasa extracted from it."""
    events = [ActionExecuted("action_listen"), *before, ActionExecuted("action_listen")]
    events.append(UserUttered(text, intent={"name": "inform", "confidence": 0.9}))
    events += [SlotSet(name, value) for name, value in extracted.items()]
    events.append(ActionExecuted("action_extract_slots"))
    return DialogueStateTracker.from_events("officer-1", events, DOMAIN.slots)


def settled(tracker: DialogueStateTracker) -> dict:
    return {e.key: e.value for e in settle(tracker)}


def test_the_message_s_language_is_used_when_no_choice_was_made() -> None:
    assert settled(after_message(extracted={"language": "sw"})) == {}  # already sw
    t = after_message(SlotSet("language", "sw"), extracted={"language": "en"})
    assert settled(t) == {}  # follows the message: en, as extracted


def test_an_explicit_choice_overrides_the_message_s_language() -> None:
    t = after_message(SlotSet("language_preference", "sw"), extracted={"language": "en"})
    assert settled(t) == {"language": "sw"}


def test_switching_sets_both_preference_and_language() -> None:
    t = after_message(
        SlotSet("language", "en"), extracted={"language": "en", "language_preference": "sw"}
    )
    assert settled(t) == {"language": "sw"}
    t = after_message(extracted={"language": "en", "language_preference": "fr"})
    assert settled(t) == {"language_preference": None}


def test_a_name_typed_into_a_form_keeps_the_conversation_s_language() -> None:
    form = [ActiveLoop("registration_form"), SlotSet("requested_slot", "full_name")]
    t = after_message(
        SlotSet("language", "sw"), *form, extracted={"language": "en"}, text="Wanjiru Mwangi"
    )
    assert settled(t) == {"language": "sw"}
    # An answer that has a language of its own (consent) follows it.
    form = [ActiveLoop("registration_form"), SlotSet("requested_slot", "terms_of_service")]
    t = after_message(SlotSet("language", "sw"), *form, extracted={"language": "en"})
    assert settled(t) == {}
    # An explicit choice still wins inside a form.
    form = [ActiveLoop("registration_form"), SlotSet("requested_slot", "email")]
    t = after_message(
        SlotSet("language_preference", "en"),
        SlotSet("language", "en"),
        *form,
        extracted={"language": "sw"},
    )
    assert settled(t) == {"language": "en"}


def test_only_the_first_decision_after_a_message_settles() -> None:
    t = after_message(SlotSet("language_preference", "sw"), extracted={"language": "en"})
    t.update(SlotSet("language", "sw"))
    t.update(ActionExecuted("utter_greet"))
    assert settle(t) == []
    assert settle(DialogueStateTracker.from_events("x", [], DOMAIN.slots)) == []


def test_the_policy_never_predicts_an_action(tmp_path) -> None:  # noqa: ANN001
    policy = LanguagePolicy.create(
        LanguagePolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("language_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    t = after_message(SlotSet("language_preference", "sw"), extracted={"language": "en"})
    prediction = policy.predict_action_probabilities(t, DOMAIN)
    assert max(prediction.probabilities) == 0
    assert [(e.key, e.value) for e in prediction.events] == [("language", "sw")]
