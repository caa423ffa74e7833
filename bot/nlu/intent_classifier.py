"""Rasa component: the intent of a message, from a linear SVM on the message's
character n-grams and its (normalised) words, in place of Rasa's DIETClassifier.

Why not DIET: on this project's data (about 3,200 examples, 25 intents, English,
Kiswahili and code-switched text, no pretrained embeddings allowed) a linear
model on sparse n-grams is both better and far faster to train. On the held-out
sets in ``tests/nlu/`` (``make evaluate`` -> ``docs/evaluation.md``) the whole
pipeline is right on 98 % of in-scope messages, where Rasa's default pipeline
(DIET) scores 94 % and our earlier DIET configuration 92.7 % on the older set;
DIET took 8 minutes to train here (the default one 27), this takes seconds, which
makes cross-validation and threshold sweeps cheap enough to run on every change.

Features (TF-IDF, sublinear term frequencies):

- character 1–4-grams inside word boundaries of the lower-cased text: they carry
  Kiswahili morphology (ni-na-taka, ku-jiandikisha) and survive typos and SMS
  spelling;
- word 1–2-grams of the tokens' *lemmas* as the tokenizer before this component
  set them (``bot.nlu.spacy_tokenizer`` normalises spellings and Kiswahili verb
  forms; with Rasa's WhitespaceTokenizer the lemma is the word itself).

Classes are weighted by inverse frequency (``class_weight="balanced"``): the Data
Protection Act questions are a third of the examples and would otherwise pull
uncertain messages towards ``data_protection``.

Words the model never saw are corrected to the closest word it knows before the
word features are built ("sttus" -> "status"); characters are taken as typed.

``confidence`` is the logistic function of the SVM's margin for that intent
(``scale`` sets its steepness): 0.5 is the SVM's own boundary, and the
FallbackClassifier's threshold in config.yml is set on this scale from the sweep
in docs/evaluation.md. Calibrating the SVM instead (Platt or isotonic, 5-fold)
cost 1–1.5 points of accuracy, because the calibrated argmax differs from the
SVM's; this keeps the SVM's choice.
"""

from __future__ import annotations

import difflib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.nlu.fast_linear import FastScorer

MODEL_FILE = "intent_model.pkl"


@dataclass(frozen=True)
class Features:
    """What the classifier reads of one message: its text and its tokens' lemmas."""

    text: str
    lemmas: str


#: Words shorter than this are never "corrected" (too many near neighbours).
MIN_CORRECTED_LENGTH = 4
#: How close (difflib's ratio) a known word must be to stand in for an unknown one.
CORRECTION_CUTOFF = 0.8
_CACHE_LIMIT = 20_000


@dataclass
class IntentModel:
    """The classifier itself: plain scikit-learn, no Rasa (unit-tested without it)."""

    chars: TfidfVectorizer
    words: TfidfVectorizer
    svm: LinearSVC
    scale: float
    #: The lemmas seen in training, for correcting misspelt words.
    vocabulary: frozenset[str] = frozenset()
    _corrections: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _by_initial: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    #: The scorer for one message (built on first use; False: scikit-learn's way).
    _fast: FastScorer | bool | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(
        cls,
        examples: Sequence[tuple[Features, str]],
        *,
        c: float = 1.0,
        max_char_ngram: int = 4,
        max_word_ngram: int = 2,
        balanced: bool = True,
        out_of_scope_weight: float = 1.0,
        scale: float = 4.0,
    ) -> IntentModel:
        """``examples``: (features, intent) pairs of at least two intents.

        ``out_of_scope_weight`` multiplies the weight of the ``out_of_scope`` class
        (after balancing): a missed out-of-scope message may start a flow that
        reads or changes an officer's enrolment, a worse error than a fallback."""
        intents = [intent for _, intent in examples]
        if len(set(intents)) < 2:
            raise ValueError("an intent classifier needs examples of at least two intents")
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, max_char_ngram), sublinear_tf=True
        )
        words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, max_word_ngram),
            sublinear_tf=True,
            lowercase=True,
            token_pattern=r"\S+",
        )
        matrix = scipy.sparse.hstack(
            [
                chars.fit_transform([f.text for f, _ in examples]),
                words.fit_transform([f.lemmas for f, _ in examples]),
            ]
        ).tocsr()
        counts = {intent: intents.count(intent) for intent in set(intents)}
        weights = {
            intent: (len(intents) / (len(counts) * n) if balanced else 1.0)
            for intent, n in counts.items()
        }
        if "out_of_scope" in weights:
            weights["out_of_scope"] *= out_of_scope_weight
        svm = LinearSVC(C=c, class_weight=weights, random_state=1)
        svm.fit(matrix, intents)
        vocabulary = frozenset(w for f, _ in examples for w in f.lemmas.lower().split())
        return cls(chars, words, svm, scale, vocabulary)

    def corrected(self, lemmas: str) -> str:
        """``lemmas`` with each unknown word replaced by the closest known one, if
        one is close enough ("sttus" -> "status", "regstration" -> "registration").
        Short words, numbers and codes are left as they are."""
        return " ".join(self._correct(word) for word in lemmas.lower().split())

    def _correct(self, word: str) -> str:
        if word in self.vocabulary or len(word) < MIN_CORRECTED_LENGTH or not word.isalpha():
            return word
        if word not in self._corrections:
            if not self._by_initial:
                for known in sorted(self.vocabulary):
                    self._by_initial.setdefault(known[0], []).append(known)
            # Officers' typos rarely hit the first letter: looking only among words
            # with the same initial keeps this fast (a few hundred candidates).
            close = difflib.get_close_matches(
                word, self._by_initial.get(word[0], []), n=1, cutoff=CORRECTION_CUTOFF
            )
            if len(self._corrections) >= _CACHE_LIMIT:
                self._corrections.clear()
            self._corrections[word] = close[0] if close else word
        return self._corrections[word]

    def __getstate__(self) -> dict[str, Any]:
        # The caches are rebuilt after loading.
        return {**self.__dict__, "_corrections": {}, "_by_initial": {}, "_fast": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Models pickled before the fast scorer existed have no "_fast".
        self.__dict__.update({"_fast": None, **state})

    @property
    def intents(self) -> list[str]:
        return [str(intent) for intent in self.svm.classes_]

    def margins(self, batch: Sequence[Features]) -> np.ndarray:
        """The SVM's margin for every intent (rows: messages, columns: ``intents``)."""
        if len(batch) == 1:  # one message, as Rasa parses them: bot.nlu.fast_linear
            if self._fast is None:
                self._fast = FastScorer.build([self.chars, self.words], self.svm) or False
            if self._fast:
                (features,) = batch
                return self._fast.margins([features.text, self.corrected(features.lemmas)]).reshape(
                    1, -1
                )
        matrix = scipy.sparse.hstack(
            [
                self.chars.transform([f.text for f in batch]),
                self.words.transform([self.corrected(f.lemmas) for f in batch]),
            ]
        ).tocsr()
        return np.asarray(self.svm.decision_function(matrix), dtype=float).reshape(len(batch), -1)

    def rank(self, features: Features) -> list[tuple[str, float]]:
        """Every intent with its confidence, best first: the logistic function of
        the intent's margin, so 0.5 is the SVM's own boundary for that intent."""
        margins = self.margins([features])[0]
        confidences = 1.0 / (1.0 + np.exp(-self.scale * margins))
        order = np.argsort(-margins, kind="stable")
        intents = self.svm.classes_
        return [(str(intents[i]), float(confidences[i])) for i in order]


def features_of(message: Message) -> Features:
    """The text and the lemmas the tokenizer gave it (the words themselves when the
    message was not tokenized)."""
    text = message.get(TEXT) or ""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    lemmas = " ".join(token.lemma or token.text for token in tokens) if tokens else text
    return Features(text, lemmas.lower())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Predicts the intent (and a ranking) of every message with text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 1.0,
            "max_char_ngram": 4,
            "max_word_ngram": 2,
            "balanced": True,
            "out_of_scope_weight": 1.0,
            "scale": 4.0,
            "ranking_length": 10,
        }

    @staticmethod
    def required_components() -> list[type]:
        from rasa.nlu.tokenizers.tokenizer import Tokenizer

        return [Tokenizer]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            (features_of(message), message.get(INTENT))
            for message in training_data.intent_examples
            if message.get(TEXT) and message.get(INTENT)
        ]
        self._model = IntentModel.fit(
            examples,
            c=self._config["C"],
            max_char_ngram=self._config["max_char_ngram"],
            max_word_ngram=self._config["max_word_ngram"],
            balanced=self._config["balanced"],
            out_of_scope_weight=self._config["out_of_scope_weight"],
            scale=self._config["scale"],
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        # The pickle is the one this component wrote into the trained model.
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((directory / MODEL_FILE).read_bytes())  # noqa: S301
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self._model is None or not message.get(TEXT):
                # No model or an empty message: no intent, as Rasa's classifiers do.
                message.set(
                    INTENT,
                    {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                    add_to_output=True,
                )
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            ranking = self._model.rank(features_of(message))
            best, confidence = ranking[0]
            message.set(
                INTENT,
                {INTENT_NAME_KEY: best, PREDICTED_CONFIDENCE_KEY: confidence},
                add_to_output=True,
            )
            message.set(
                INTENT_RANKING_KEY,
                [
                    {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: score}
                    for name, score in ranking[: self._config["ranking_length"]]
                ],
                add_to_output=True,
            )
        return messages
