"""Which language an officer wrote in: English, Kiswahili, or no telling.

Officers write English, Kiswahili and a mix of both with Sheng. Contract §4: the
bot answers in the language of the last message, where code-switched text counts
as Kiswahili unless it is mostly English. No downloadable model is allowed here, so
this is a small, explainable scorer:

* words found in the Kiswahili or English word lists (``bot/lexicon/``) are strong
  evidence;
* Kiswahili verb morphology (subject + tense prefixes, infinitive ``ku-``) is strong
  evidence, because a sentence whose verbs are Kiswahili is a Kiswahili sentence even
  when its nouns are English ("nataka ku-register for the cloud course");
* loanwords that both languages use ("data", "online", "email", "kozi") count for
  little on the English side;
* any other word gets weak evidence from its shape: Kiswahili words end in a vowel
  and follow a narrow set of consonant clusters.

The figure it reaches on the labelled set in ``tests/language/`` is measured by
``tests/unit/test_language_accuracy.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENGLISH = "en"
KISWAHILI = "sw"
LANGUAGES = (ENGLISH, KISWAHILI)

_LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"

# Weights: how much one word tells us.
_STRONG = 1.0
_VERB = 1.5
_LOAN = 0.3
_SHAPE = 0.4

# Share of Kiswahili evidence from which a mixed message is answered in Kiswahili.
# Below it the message is "mostly English" (contract §4).
KISWAHILI_SHARE_THRESHOLD = 0.3

_WORD = re.compile(r"[a-z']+")
# Things that carry no language: links, emails, codes with digits, references.
_NOISE = re.compile(r"\S+@\S+|https?://\S+|\S*\d\S*")

# Kiswahili verbs: optional negative, subject prefix, tense/aspect marker, optional
# object marker, then a stem ending in a vowel. "ninataka", "tumeshindwa",
# "hawajapata", "atanisaidia".
_SUBJECT = r"(?:ni|u|a|tu|m|mu|wa|ki|vi|li|ya|i|zi|pa|ku)"
_NEGATIVE_SUBJECT = r"(?:si|hu|ha|hatu|ham|hamu|hawa|hai|hazi|hali|haya|haki|havi)"
_TENSE = r"(?:na|li|ta|me|ja|ki|nge|ngali|ka|sha)"
_OBJECT = r"(?:ni|ku|m|mw|tu|wa|ki|vi|li|ya|i|zi|ji)?"
_VERB_FORM = re.compile(
    rf"^(?:{_SUBJECT}|{_NEGATIVE_SUBJECT})(?:{_TENSE}){_OBJECT}[a-z']{{2,}}[aeiou]$"
)
# Infinitive and subjunctive/imperative with an object or subject prefix:
# "kujiandikisha", "nisaidie", "tuambie", "mnisaidie".
_INFINITIVE = re.compile(r"^ku[a-z']{3,}[aeiou]$")
_SUBJUNCTIVE = re.compile(r"^(?:ni|tu|m|mu|wa|a|u)(?:ni|ku|m|tu|wa|ji)?[a-z]{2,}e$")

# Kiswahili phonotactics: syllables are (N)(C)(glide)V with a closed set of onsets.
_SW_ONSET = (
    r"(?:ng'|ch|sh|th|dh|gh|ny|ng|mb|nd|nj|nz|mv|"
    r"[bcdfghjklmnprstvwyz])?(?:w|y)?"
)
_SWAHILI_SHAPE = re.compile(rf"^(?:{_SW_ONSET}[aeiou]|m(?=[^aeiou]))+$")


@dataclass(frozen=True)
class Detection:
    """The verdict with the evidence behind it, for logging and evaluation."""

    language: str | None
    swahili: float
    english: float

    @property
    def swahili_share(self) -> float:
        total = self.swahili + self.english
        return self.swahili / total if total else 0.0


def _read_words(name: str) -> frozenset[str]:
    words: set[str] = set()
    for line in (_LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            words.update(line.split())
    return frozenset(words)


@lru_cache(maxsize=1)
def _lexicons() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    return (
        _read_words("sw.txt"),
        _read_words("en.txt"),
        _read_words("loanwords.txt"),
    )


def tokens(text: str) -> list[str]:
    """Lower-cased words, with codes, numbers, emails and links removed.

    Hyphenated Kiswahili prefixes on English verbs ("ku-register", "ni-apply") are
    kept as their own token so the prefix counts as Kiswahili.
    """
    text = _NOISE.sub(" ", text.lower().replace("’", "'"))
    text = re.sub(r"\b(ku|ni|tu|wa|ana|ali|nime|tume|nita|ime)-", r"\1_ ", text)
    found = []
    for raw in re.findall(r"[a-z'_]+", text):
        word = raw.strip("'")
        if word:
            found.append(word)
    return found


def _word_evidence(word: str) -> tuple[float, float, bool]:
    """(Kiswahili, English, telling) evidence carried by one lower-cased word.

    ``telling`` is False for evidence from a loanword or a word's shape alone: a
    message made only of those ("online?", "Wanjiku Kamau") has no language.
    """
    swahili_words, english_words, loanwords = _lexicons()
    if word.endswith("_"):  # a Kiswahili prefix glued to a loan verb: "ku-register"
        return _VERB, 0.0, True
    if word in loanwords:
        return 0.0, _LOAN, False
    in_sw = word in swahili_words
    in_en = word in english_words
    if in_sw and in_en:  # "na", "me", "ni" are short and ambiguous only in English
        return _STRONG * 0.5, _STRONG * 0.5, True
    if in_sw:
        return _STRONG, 0.0, True
    if in_en:
        return 0.0, _STRONG, True
    if len(word) >= 5 and _INFINITIVE.match(word):  # also "kuregista", "kuapplaya"
        return _VERB, 0.0, True
    if (
        len(word) >= 5
        and (_VERB_FORM.match(word) or _SUBJUNCTIVE.match(word))
        and _SWAHILI_SHAPE.match(word)
    ):
        return _VERB, 0.0, True
    if len(word) < 3:
        return 0.0, 0.0, False
    if _SWAHILI_SHAPE.match(word):
        return _SHAPE, 0.0, False
    return 0.0, _SHAPE, False


def detect(text: str) -> Detection:
    """Scores a message; ``language`` is None when nothing in it tells."""
    swahili = english = 0.0
    telling = False
    for word in tokens(text):
        sw, en, tells = _word_evidence(word)
        swahili += sw
        english += en
        telling = telling or tells
    if not telling:
        return Detection(None, swahili, english)
    share = swahili / (swahili + english)
    language = KISWAHILI if share >= KISWAHILI_SHARE_THRESHOLD else ENGLISH
    return Detection(language, swahili, english)


def detect_language(text: str) -> str | None:
    """``"en"``, ``"sw"`` or None for a message with no language in it ("CLD-201")."""
    return detect(text).language


def reply_language(
    detected: str | None, preference: str | None, previous: str | None, default: str = ENGLISH
) -> str:
    """The language to answer in.

    An explicit request to switch ("reply in Kiswahili") sticks until the officer asks
    again; otherwise the language of the last message that had one; otherwise what
    the conversation was already in; otherwise the default.
    """
    for candidate in (preference, detected, previous, default):
        if candidate in LANGUAGES:
            return candidate
    return ENGLISH


#: Form questions whose answers carry no language of their own: "Wanjiru Mwangi"
#: or an email address says nothing about the officer's language.
LANGUAGELESS_ANSWERS = frozenset(
    {
        "full_name",
        "personal_number",
        "email",
        "phone_number",
        "employer",
        "reference",
        "cohort",
        "detail_value",
        "job_group",
    }
)


def answer_language(
    detected: str | None,
    preference: str | None,
    before: str | None,
    answering: str | None = None,
) -> str:
    """The language to answer a message in (contract §4): ``detected`` is the
    message's, ``preference`` the officer's explicit choice, ``before`` the
    conversation's until this message, ``answering`` the form question the message
    answers. An answer with no language of its own keeps the conversation's."""
    if answering in LANGUAGELESS_ANSWERS and preference not in LANGUAGES:
        return before if before in LANGUAGES else ENGLISH
    return reply_language(detected, preference, None)


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Every word in the Kiswahili, English and loanword lists (built once: this is
    asked for every message)."""
    swahili_words, english_words, loanwords = _lexicons()
    return swahili_words | english_words | loanwords


def is_unfamiliar(text: str, vocabulary: frozenset[str] | set[str]) -> bool:
    """True when a message has words and not one of them is a word we know.

    "zxqv plorg" or "hola amigo" should get "sorry, I didn't understand", but a
    neural classifier trained on a handful of intents is confidently wrong about
    them. Codes, numbers and emails are not words, so "CLD-201" is not unfamiliar.
    """
    words = [w.rstrip("_") for w in tokens(text) if len(w.rstrip("_")) >= 2]
    if not words:
        return False
    known = known_words()
    return not any(w in vocabulary or w in known for w in words)
