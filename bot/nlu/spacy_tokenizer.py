"""Rasa tokenizer whose tokens carry a normalised lemma (:mod:`bot.nlu.normalise`).

Use it in place of ``WhitespaceTokenizer``::

    pipeline:
      - name: bot.nlu.spacy_tokenizer.SpacyNormalisingTokenizer

The featurizers read ``token.lemma`` (``CountVectorsFeaturizer`` does by default,
``use_lemma: true``), so "plz"/"pls"/"please", "enroll"/"enrolment"/"ku-enrol" and
"nataka"/"ninataka"/"sitaki" each become one feature. ``token.text``, ``start`` and
``end`` are the characters the officer typed, as before.

Only the attributes named in ``normalised_attributes`` (the user's ``text`` by
default) are normalised; the other free text Rasa tokenizes (response and action
texts) goes through Rasa's own ``WhitespaceTokenizer``, and intent and action names
are split by Rasa's base ``Tokenizer`` (``intent_tokenization_flag``,
``intent_split_symbol``, ``prefix_separator_symbol``), exactly as the
``WhitespaceTokenizer`` does. A message with no word in it (only emoji or
punctuation) is one token, as there too.

The lemmas depend on ``bot/nlu/normalise.py`` and ``bot/lexicon/``: their
fingerprint is part of the component's, so a change there re-tokenises the
training data on the next ``rasa train`` instead of reusing cached tokens.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import MESSAGE_ATTRIBUTES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalise import normalisation_fingerprint, normalise_tokens, pipeline

NORMALISED_ATTRIBUTES = "normalised_attributes"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SpacyNormalisingTokenizer(Tokenizer):
    """spaCy tokens with normalised lemmas for the user's text; otherwise exactly
    Rasa's ``WhitespaceTokenizer``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            # Attributes whose tokens get normalised lemmas ("text", "response",
            # "action_text"); the others are tokenized as by WhitespaceTokenizer.
            NORMALISED_ATTRIBUTES: [TEXT],
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return normalisation_fingerprint()

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        attributes = config.get(NORMALISED_ATTRIBUTES) or []
        if isinstance(attributes, str):
            attributes = [attributes]
        unknown = sorted(set(attributes) - set(MESSAGE_ATTRIBUTES))
        if unknown:
            raise InvalidConfigException(
                f"{self.__class__.__name__}: {NORMALISED_ATTRIBUTES} has {unknown}; "
                f"choose from {MESSAGE_ATTRIBUTES}"
            )
        self._normalised = frozenset(attributes)
        self._whitespace = WhitespaceTokenizer(
            {key: config.get(key) for key in WhitespaceTokenizer.get_default_config()}
        )
        pipeline()  # built now, not on the first message

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        if attribute not in self._normalised:
            return self._whitespace.tokenize(message, attribute)
        text = message.get(attribute) or ""
        tokens = [Token(t.text, t.start, end=t.end, lemma=t.lemma) for t in normalise_tokens(text)]
        if not tokens:  # emoji or punctuation only: the whole text, as WhitespaceTokenizer
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)
