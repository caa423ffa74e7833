"""UnfamiliarWordsFallback (bot/nlu/unfamiliar_words.py) on Rasa messages: words
never seen fall back; an entity or a known lemma means the message was understood."""

from __future__ import annotations

from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.unfamiliar_words import UnfamiliarWordsFallback


def component() -> UnfamiliarWordsFallback:
    return UnfamiliarWordsFallback(
        {"confidence": 0.0},
        None,
        None,
        frozenset({"stop", "kozi"}),  # type: ignore[arg-type]
    )


def message(text: str, lemmas: dict[str, str] | None = None, entities=()) -> Message:  # noqa: ANN001
    tokens = []
    position = 0
    for word in text.split():
        start = text.index(word, position)
        tokens.append(Token(word, start, lemma=(lemmas or {}).get(word, word)))
        position = start + len(word)
    return Message(
        data={
            "text": text,
            "text_tokens": tokens,
            "intent": {"name": "greet", "confidence": 0.9},
            "intent_ranking": [{"name": "greet", "confidence": 0.9}],
            "entities": list(entities),
        }
    )


def intent_of(msg: Message) -> str:
    [done] = component().process([msg])
    return done.get("intent")["name"]


def test_gibberish_falls_back() -> None:
    assert intent_of(message("zxqv plorg")) == "nlu_fallback"


def test_a_known_lemma_is_a_known_word() -> None:
    assert intent_of(message("stoooop", {"stoooop": "stop"})) == "greet"


def test_a_message_with_an_entity_is_understood() -> None:
    job_group = {"entity": "job_group", "value": "K", "start": 0, "end": 3}
    assert intent_of(message("JGK", entities=[job_group])) == "greet"
    # The detected language is not an entity the officer gave.
    language = {"entity": "message_language", "value": "en", "start": 0, "end": 3}
    assert intent_of(message("zxqv", entities=[language])) == "nlu_fallback"
