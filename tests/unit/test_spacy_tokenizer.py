"""The Rasa tokenizer with normalised lemmas (bot.nlu.spacy_tokenizer) on Rasa's own
messages: the user's text gets spaCy tokens with our lemmas, everything else is
tokenized exactly as Rasa's WhitespaceTokenizer would, and the featurizer after it
learns from the lemmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    ACTION_TEXT,
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.normalise import normalisation_fingerprint
from bot.nlu.spacy_tokenizer import SpacyNormalisingTokenizer


def make_tokenizer(**config: Any) -> SpacyNormalisingTokenizer:
    return SpacyNormalisingTokenizer.create(
        {**SpacyNormalisingTokenizer.get_default_config(), **config}, None, None, None
    )


def make_whitespace(**config: Any) -> WhitespaceTokenizer:
    return WhitespaceTokenizer({**WhitespaceTokenizer.get_default_config(), **config})


def described(tokens: list[Token]) -> list[tuple[str, int, int, str]]:
    return [(t.text, t.start, t.end, t.lemma) for t in tokens]


@pytest.fixture(scope="module")
def tokenizer() -> SpacyNormalisingTokenizer:
    return make_tokenizer()


# --- the user's text ----------------------------------------------------------------


def test_tokens_carry_the_normalised_lemma(tokenizer: SpacyNormalisingTokenizer) -> None:
    text = "Nataka ku-register CLD-201 plz!"
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    assert described(tokens) == [
        ("Nataka", 0, 6, "taka"),
        ("ku-register", 7, 18, "register"),
        ("CLD-201", 19, 26, "CLD-201"),
        ("plz", 27, 30, "please"),
    ]
    assert all(text[t.start : t.end] == t.text for t in tokens)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cn i regster plz", ["can", "i", "register", "please"]),
        ("hw do i withdraw from 2 courses?", ["how", "do", "i", "withdraw", "from", "2", "course"]),
        ("nimejiandikisha, sijapata email", ["andikisha", "pata", "email"]),
        ("asnte sana", ["asante", "sana"]),
    ],
)
def test_lemmas_of_messages(
    tokenizer: SpacyNormalisingTokenizer, text: str, expected: list[str]
) -> None:
    assert [t.lemma for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)] == expected


def test_process_puts_the_tokens_on_the_message(tokenizer: SpacyNormalisingTokenizer) -> None:
    message = Message(data={TEXT: "wat is ur fee"})
    assert tokenizer.process([message]) == [message]
    assert [t.lemma for t in message.get(TOKENS_NAMES[TEXT])] == ["what", "is", "your", "fee"]


@pytest.mark.parametrize("text", ["👍", "🙏🏽🙏🏽", ":)", "?!", "", "   "])
def test_a_message_with_no_word_is_tokenized_as_by_the_whitespace_tokenizer(
    tokenizer: SpacyNormalisingTokenizer, text: str
) -> None:
    ours = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    theirs = make_whitespace().tokenize(Message(data={TEXT: text}), TEXT)
    assert described(ours) == described(theirs)


def test_the_token_pattern_splits_tokens_and_keeps_their_lemma() -> None:
    tokenizer = make_tokenizer(token_pattern=r"[a-z]+")
    tokens = tokenizer.tokenize(Message(data={TEXT: "ku-register"}), TEXT)
    assert described(tokens) == [("ku", 0, 2, "register"), ("register", 3, 11, "register")]


# --- everything else, as WhitespaceTokenizer --------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"intent_tokenization_flag": True},
        {"intent_tokenization_flag": True, "intent_split_symbol": "+"},
        {"intent_tokenization_flag": True, "prefix_separator_symbol": "_"},
    ],
)
def test_intents_and_action_names_are_split_as_by_the_whitespace_tokenizer(
    config: dict[str, Any],
) -> None:
    def training_data() -> TrainingData:
        return TrainingData(
            [
                Message(data={TEXT: "plz help", INTENT: "ask_course_fee"}),
                Message(data={TEXT: "hi", INTENT: "greet+ask_help"}),
                Message(
                    data={
                        TEXT: "can trainees' photos go online",
                        INTENT: "data_protection",
                        INTENT_RESPONSE_KEY: "data_protection/photos_online",
                    }
                ),
                Message(data={ACTION_NAME: "action_enrol_officer"}),
            ]
        )

    ours = make_tokenizer(**config).process_training_data(training_data())
    theirs = make_whitespace(**config).process_training_data(training_data())
    for attribute in (INTENT, ACTION_NAME, INTENT_RESPONSE_KEY):
        for mine, expected in zip(ours.training_examples, theirs.training_examples, strict=True):
            assert described(mine.get(TOKENS_NAMES[attribute], [])) == described(
                expected.get(TOKENS_NAMES[attribute], [])
            ), (attribute, mine.data)

    # At inference too (Rasa's process() splits intent and action names).
    mine = Message(data={INTENT: "ask_course_fee", ACTION_NAME: "utter_greet"})
    expected = Message(data={INTENT: "ask_course_fee", ACTION_NAME: "utter_greet"})
    make_tokenizer(**config).process([mine])
    make_whitespace(**config).process([expected])
    for attribute in (INTENT, ACTION_NAME):
        assert described(mine.get(TOKENS_NAMES[attribute])) == described(
            expected.get(TOKENS_NAMES[attribute])
        )


@pytest.mark.parametrize("attribute", [RESPONSE, ACTION_TEXT])
def test_response_and_action_texts_are_tokenized_as_by_the_whitespace_tokenizer(
    tokenizer: SpacyNormalisingTokenizer, attribute: str
) -> None:
    text = "Asante! Umesajiliwa kwa CLD-201 (ref KSG-7F3K9Q), plz check ur email."
    ours = tokenizer.tokenize(Message(data={attribute: text}), attribute)
    theirs = make_whitespace().tokenize(Message(data={attribute: text}), attribute)
    assert described(ours) == described(theirs)


def test_response_texts_are_normalised_when_asked() -> None:
    tokenizer = make_tokenizer(normalised_attributes=[TEXT, RESPONSE])
    tokens = tokenizer.tokenize(Message(data={RESPONSE: "Umesajiliwa, asnte"}), RESPONSE)
    assert [t.lemma for t in tokens] == ["sajili", "asante"]


def test_one_attribute_may_be_named_without_a_list() -> None:
    tokenizer = make_tokenizer(normalised_attributes=RESPONSE)
    assert [t.lemma for t in tokenizer.tokenize(Message(data={RESPONSE: "plz"}), RESPONSE)] == [
        "please"
    ]
    assert [t.lemma for t in tokenizer.tokenize(Message(data={TEXT: "plz"}), TEXT)] == ["plz"]


def test_an_unknown_attribute_is_a_config_error() -> None:
    with pytest.raises(InvalidConfigException, match="normalised_attributes"):
        make_tokenizer(normalised_attributes=["txet"])


# --- in a Rasa pipeline ----------------------------------------------------------------


def test_it_is_registered_as_a_tokenizer() -> None:
    registered = DefaultV1Recipe._from_registry("bot.nlu.spacy_tokenizer.SpacyNormalisingTokenizer")
    assert registered.clazz is SpacyNormalisingTokenizer
    assert DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER in registered.types
    assert registered.is_trainable is False


def test_the_fingerprint_follows_the_normalisation_data() -> None:
    config = SpacyNormalisingTokenizer.get_default_config()
    assert SpacyNormalisingTokenizer.fingerprint_addon(config) == normalisation_fingerprint()


def test_the_featurizer_learns_the_lemmas(
    tokenizer: SpacyNormalisingTokenizer, tmp_path: Path
) -> None:
    data = TrainingData(
        [
            Message(data={TEXT: "plz help me regster", INTENT: "register"}),
            Message(data={TEXT: "please help me to register", INTENT: "register"}),
            Message(data={TEXT: "nataka kujiandikisha", INTENT: "register"}),
            Message(data={TEXT: "ninataka kujiandikisha", INTENT: "register"}),
        ]
    )
    tokenizer.process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("count_vectors"),
        ExecutionContext(GraphSchema({})),
    )
    featurizer.train(data)
    vocabulary = set(featurizer.vectorizers[TEXT].vocabulary_)
    assert {"please", "register", "taka", "andikisha"} <= vocabulary
    assert not {"plz", "regster", "nataka", "ninataka", "kujiandikisha"} & vocabulary
