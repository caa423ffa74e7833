"""Rasa component: a message about another service (a passport, a company, M-Pesa,
a SIM card…) is never taken for one of the flows that read or change an officer's
enrolment, whatever the intent classifier thought.

The classifier learns from words, and "register", "withdraw", "status", "update"
and "delete" are strong words: "register my company with the Registrar" or
"hali ya ombi langu la pasipoti" can score high for ``register`` or
``check_status``. Starting a registration form there is worse than saying "that is
not something I can help with", so after the classifier this component looks for
the other services of ``bot/lexicon/other_services.yml`` with a spaCy
``PhraseMatcher`` on the lemmas of :mod:`bot.nlu.normalise`'s pipeline ("loans",
"mikopo", "M-PESA" all match). When the predicted intent is a guarded one, another
service is named and nothing in the message is about the training (a course the
entity extractor found, or a word such as "course", "kozi", "cohort"), the intent
becomes ``out_of_scope``; the classifier's ranking follows it, and the match is in
the parse output under ``other_service`` for the console and the logs.

Its effect is measured in docs/evaluation.md (out-of-scope rejection and in-scope
accuracy with and without it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from spacy.matcher import PhraseMatcher

from bot.nlu.normalise import pipeline

LEXICON = Path(__file__).resolve().parents[1] / "lexicon" / "other_services.yml"
OUT_OF_SCOPE = "out_of_scope"
#: The intents whose flows read or change an officer's enrolment or data.
GUARDED = ("register", "withdraw", "check_status", "update_details", "my_data_erase")
OUTPUT_KEY = "other_service"


@dataclass(frozen=True)
class Mention:
    category: str
    text: str
    start: int
    end: int


class OtherServices:
    """Finds other services and training words in a text; plain spaCy, no Rasa."""

    def __init__(self, services: dict[str, list[str]], training_words: list[str]) -> None:
        self.nlp = pipeline()
        self.services = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        for category, phrases in services.items():
            self.services.add(category, list(self.nlp.pipe(phrases)))
        self.training = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.training.add("training", list(self.nlp.pipe(training_words)))

    @classmethod
    def from_file(cls, path: Path = LEXICON) -> OtherServices:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        services = {k: [str(p).lower() for p in v] for k, v in data["services"].items()}
        return cls(services, [str(w).lower() for w in data["training_words"]])

    def analyse(self, text: str) -> tuple[list[Mention], bool]:
        """The other services ``text`` names, and whether it says anything about
        the training itself."""
        doc = self.nlp(text.lower())
        mentions = [
            Mention(self.nlp.vocab.strings[key], doc[start:end].text, start, end)
            for key, start, end in self.services(doc)
        ]
        return mentions, bool(self.training(doc))


@lru_cache(maxsize=1)
def other_services() -> OtherServices:
    return OtherServices.from_file()


def guard(
    intent: str | None, text: str, entity_types: set[str], finder: OtherServices | None = None
) -> list[Mention]:
    """The mentions that make ``intent`` out of scope for ``text`` (empty: leave it)."""
    if intent not in GUARDED or "course" in entity_types:
        return []
    mentions, about_training = (finder or other_services()).analyse(text)
    return [] if about_training else mentions


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OtherServicesGuard(GraphComponent):
    """Turns a guarded intent into ``out_of_scope`` when the message is about
    another service (see the module's docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, finder: OtherServices) -> None:
        self._finder = finder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherServicesGuard:
        return cls(other_services())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            intent = message.get(INTENT) or {}
            if not text:
                continue
            types = {e.get(ENTITY_ATTRIBUTE_TYPE) for e in message.get(ENTITIES) or []}
            mentions = guard(intent.get(INTENT_NAME_KEY), text, types, self._finder)
            if not mentions:
                continue
            confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            message.set(
                INTENT,
                {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence},
                add_to_output=True,
            )
            ranking = [
                r
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE
            ]
            message.set(
                INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence}, *ranking],
                add_to_output=True,
            )
            message.set(
                OUTPUT_KEY,
                [{"category": m.category, "text": m.text} for m in mentions],
                add_to_output=True,
            )
        return messages
