"""The one-message scorer (bot.nlu.fast_linear) gives scikit-learn's margins for
the intent classifier and the DPA topic selector, on every training message and on
messages unlike any of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.nlu.fast_linear import FastScorer
from bot.nlu.intent_classifier import Features, IntentModel
from bot.nlu.topic_selector import TopicModel, training_examples

ROOT = Path(__file__).resolve().parents[2]

ODD = [
    "",
    " ",
    "?!",
    "ŋŋŋ ßß 😀",
    "REGISTER ME FOR THE CLOUD COURSE NOW",
    "regstration sttus ya kozi yangu pls",
    "x" * 500,
    "12345 67890",
]


@pytest.fixture(scope="module")
def training():
    return load_data(str(ROOT / "data" / "nlu"))


def texts(training) -> list[str]:
    return [m.get("text") for m in training.intent_examples if m.get("text")] + ODD


def test_intent_margins_are_scikit_learns(training) -> None:
    examples = [
        (Features(m.get("text"), m.get("text")), m.get("intent"))
        for m in training.intent_examples
        if m.get("text") and m.get("intent")
    ]
    model = IntentModel.fit(examples)
    slow = IntentModel.fit(examples)
    slow._fast = False  # scikit-learn's transform and decision_function
    for text in texts(training):
        features = Features(text, text.lower())
        fast, reference = model.margins([features]), slow.margins([features])
        np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-9, err_msg=text)
        ranked, reference_ranked = model.rank(features), slow.rank(features)
        assert ranked[0][0] == reference_ranked[0][0], text
        assert dict(ranked) == pytest.approx(dict(reference_ranked), abs=1e-9), text
    assert isinstance(model._fast, FastScorer)


def test_topic_margins_are_scikit_learns(training) -> None:
    model = TopicModel.fit("data_protection", training_examples(training, "data_protection"))
    vectorizer, svm = (step for _, step in model.pipeline.steps)
    scorer = FastScorer.build([vectorizer], svm)
    assert scorer is not None
    for text in texts(training):
        reference = model.pipeline.decision_function([text])[0]
        np.testing.assert_allclose(scorer.margins([text]), reference, rtol=0, atol=1e-9)
    assert model.rank("can I delete my data?")[0][0].startswith("data_protection/")


def test_what_it_cannot_reproduce_stays_with_scikit_learn() -> None:
    docs = ["habari yako", "hello there", "register me", "status please", "bye now"]
    labels = ["greet", "greet", "register", "status", "goodbye"]
    for vectorizer in (
        TfidfVectorizer(binary=True),
        TfidfVectorizer(use_idf=False),
        TfidfVectorizer(norm="l1"),
    ):
        svm = LinearSVC().fit(vectorizer.fit_transform(docs), labels)
        assert FastScorer.build([vectorizer], svm) is None
    vectorizer = TfidfVectorizer()
    two_classes = LinearSVC().fit(vectorizer.fit_transform(docs), ["a", "a", "b", "b", "b"])
    assert FastScorer.build([vectorizer], two_classes) is None
