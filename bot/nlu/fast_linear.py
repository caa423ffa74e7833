"""A fitted TF-IDF + linear SVM, scored for one message without scikit-learn's
per-call overhead.

Our intent classifier and DPA topic selector score one message at a time. For one
short message scikit-learn spends most of its time around the arithmetic: checking
that each step is fitted, rebuilding the IDF diagonal matrix, building and
stacking sparse matrices (12 % of the Rasa server's time under load,
bench/README.md). The arithmetic itself is small: count the message's known
n-grams, weight them, normalise, and add up one coefficient row per n-gram.

:class:`FastScorer` does that arithmetic with the fitted vocabularies, IDF weights
and coefficients, and gives the same margins as ``decision_function`` (to
floating-point rounding; the tests compare them on the training data). Anything
it does not reproduce (binary counts, no IDF, L1 norm, two classes) makes
:meth:`FastScorer.build` return ``None``, and the caller keeps scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class _Part:
    """One vectorizer's share of the features."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    sublinear: bool
    l2: bool
    offset: int


class FastScorer:
    """``decision_function`` of a linear model over concatenated TF-IDF features."""

    def __init__(self, parts: list[_Part], coefficients: np.ndarray, intercept: np.ndarray):
        self._parts = parts
        # One row per feature: a message's n-grams pick their rows.
        self._rows = np.ascontiguousarray(coefficients.T, dtype=np.float64)
        self._intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def build(cls, vectorizers: Sequence[TfidfVectorizer], model: Any) -> FastScorer | None:
        """The scorer of ``model`` (a fitted linear classifier with ``coef_``) on the
        features of ``vectorizers`` stacked in this order; ``None`` when it would
        not give scikit-learn's margins."""
        coefficients = getattr(model, "coef_", None)
        intercept = getattr(model, "intercept_", None)
        if not isinstance(coefficients, np.ndarray) or coefficients.ndim != 2:
            return None
        if coefficients.shape[0] < 3:  # two classes: one margin, another shape
            return None
        parts, offset = [], 0
        for vectorizer in vectorizers:
            if (
                vectorizer.binary
                or not vectorizer.use_idf
                or vectorizer.norm not in ("l2", None)
                or np.dtype(vectorizer.dtype) != np.float64
            ):
                return None
            parts.append(
                _Part(
                    analyze=vectorizer.build_analyzer(),
                    vocabulary=dict(vectorizer.vocabulary_),
                    idf=np.asarray(vectorizer.idf_, dtype=np.float64),
                    sublinear=bool(vectorizer.sublinear_tf),
                    l2=vectorizer.norm == "l2",
                    offset=offset,
                )
            )
            offset += len(vectorizer.vocabulary_)
        if offset != coefficients.shape[1]:
            return None
        return cls(parts, coefficients, intercept)

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """One margin per class for one message; ``texts`` holds what each
        vectorizer reads of it, in the vectorizers' order."""
        total = self._intercept.copy()
        for part, text in zip(self._parts, texts, strict=True):
            counts: dict[int, int] = {}
            vocabulary = part.vocabulary
            for gram in part.analyze(text):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if part.sublinear:
                weights = np.log(weights) + 1.0
            weights *= part.idf[indices]
            if part.l2:
                norm = np.sqrt(np.dot(weights, weights))
                if norm > 0:
                    weights /= norm
            total += weights @ self._rows[indices + part.offset]
        return total
