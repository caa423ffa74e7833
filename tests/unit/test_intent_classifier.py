"""The intent classifier (bot/nlu/intent_classifier.py): the plain model ranks
intents from characters and lemmas, and the Rasa component learns from Rasa's
training data and writes intent and ranking where Rasa's policies read them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import Features, IntentModel, LinearIntentClassifier

EXAMPLES = [
    ("I want to register for the cloud course", "register"),
    ("sign me up for cyber security please", "register"),
    ("nataka kujiandikisha kozi ya AI", "register"),
    ("nisajili kwa kozi ya cloud", "register"),
    ("what is the status of my application", "check_status"),
    ("has my enrolment been confirmed?", "check_status"),
    ("ombi langu limefika wapi", "check_status"),
    ("hali ya usajili wangu ni gani", "check_status"),
    ("what is the weather in Nairobi today", "out_of_scope"),
    ("nitumie airtime ya mia moja", "out_of_scope"),
    ("how do I renew my passport", "out_of_scope"),
    ("bei ya mafuta leo ni ngapi", "out_of_scope"),
]


def features(text: str) -> Features:
    return Features(text, text.lower())


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return IntentModel.fit([(features(t), i) for t, i in EXAMPLES])


def test_it_ranks_new_messages_in_either_language(model: IntentModel) -> None:
    assert model.rank(features("please register me for the AI course"))[0][0] == "register"
    assert model.rank(features("ombi langu la usajili liko wapi?"))[0][0] == "check_status"
    assert model.rank(features("weather forecast for Mombasa"))[0][0] == "out_of_scope"


def test_the_ranking_holds_every_intent_best_first(model: IntentModel) -> None:
    ranking = model.rank(features("status ya ombi"))
    assert sorted(name for name, _ in ranking) == ["check_status", "out_of_scope", "register"]
    scores = [score for _, score in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score < 1.0 for score in scores)
    # The logistic of the margin: 0.5 exactly where the SVM's margin is 0.
    margins = model.margins([features("status ya ombi")])[0]
    best = max(margins)
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-model.scale * best)))


def test_misspelt_words_are_read_as_the_closest_known_word(model: IntentModel) -> None:
    assert model.corrected("regster me for cloud") == "register me for cloud"
    assert model.corrected("statsu ya ombi") == "status ya ombi"
    # Short words, codes and words with nothing close stay as typed.
    assert model.corrected("me pls CLD-201 xylophone") == "me pls cld-201 xylophone"
    assert model.rank(features("plz regster me"))[0][0] == "register"


def test_the_model_pickles_without_its_caches(model: IntentModel) -> None:
    model.corrected("regster")
    copy = pickle.loads(pickle.dumps(model))
    assert copy._corrections == {}
    assert copy.corrected("regster") == "register"


def test_a_steeper_scale_makes_the_same_choice_more_confident() -> None:
    cool = IntentModel.fit([(features(t), i) for t, i in EXAMPLES], scale=1.0)
    hot = IntentModel.fit([(features(t), i) for t, i in EXAMPLES], scale=8.0)
    text = features("register me for cloud")
    assert cool.rank(text)[0][0] == hot.rank(text)[0][0] == "register"
    assert hot.rank(text)[0][1] > cool.rank(text)[0][1]


def test_one_intent_is_not_enough_to_learn() -> None:
    with pytest.raises(ValueError, match="at least two intents"):
        IntentModel.fit([(features("hello"), "greet"), (features("hi"), "greet")])


def test_lemmas_are_features_of_their_own(model: IntentModel) -> None:
    # The same characters with a lemma the model knows: the word features differ,
    # and the lemma pulls towards the intent it was learnt with.
    unknown = model.rank(Features("nimeandikishwa", "nimeandikishwa"))
    known = model.rank(Features("nimeandikishwa", "register"))
    assert dict(known)["register"] > dict(unknown)["register"]


@pytest.fixture()
def component(tmp_path) -> LinearIntentClassifier:  # noqa: ANN001
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    config = {**LinearIntentClassifier.get_default_config()}
    return LinearIntentClassifier.create(config, storage, resource, context)


def tokenized(messages: list[Message]) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process(messages)
    return messages


def test_the_component_trains_persists_and_loads(
    component: LinearIntentClassifier, tmp_path
) -> None:  # noqa: ANN001, E501
    data = TrainingData(tokenized([Message(data={"text": t, "intent": i}) for t, i in EXAMPLES]))
    resource = component.train(data)
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(),
        LocalModelStorage(tmp_path),
        resource,
        ExecutionContext(graph_schema=None, model_id="test"),  # type: ignore[arg-type]
    )
    [message] = loaded.process(tokenized([Message(data={"text": "nataka kujisajili kozi ya AI"})]))
    parsed = message.as_dict_nlu()
    assert parsed["intent"]["name"] == "register"
    assert 0.0 < parsed["intent"]["confidence"] <= 1.0
    assert [r["name"] for r in parsed["intent_ranking"]][0] == "register"
    assert len(parsed["intent_ranking"]) == 3


def test_an_untrained_component_or_empty_message_gives_no_intent(
    component: LinearIntentClassifier,
) -> None:
    [message] = component.process([Message(data={"text": "hello"})])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
