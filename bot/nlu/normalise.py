"""One normal form ("lemma") for the many spellings of a word that officers type.

Officers write SMS spelling and typos ("plz", "cn i", "hw do i", "regster"),
agglutinated Kiswahili verbs ("nimejiandikisha", "nataka", "sitaki") and English
verbs behind a Kiswahili prefix ("nataka ku-register", "nimeregister"). Rasa's
featurizers read ``token.lemma``; this module gives every token the form that its
many spellings share, so the classifiers learn one feature instead of many. No Rasa
here (:mod:`bot.nlu.spacy_tokenizer` is the Rasa component) and no downloaded
model: tokens come from ``spacy.blank("xx")`` (spaCy's multi-language rules) and the
lemma from a pipeline component of ours, ``msaidizi_normaliser``, which applies, per
token, the first of these that fits (data in ``bot/lexicon/normalisation.yml``):

0. emails, phone numbers, course codes (``CLD-201``), references (``KSG-7F3K9Q``)
   and links are one token each, their lemma the text as typed;
1. folding: lower case, Unicode NFKC, curly apostrophes, accents, and Cyrillic or
   Greek look-alike letters inside a Latin word ("natakа" with a Cyrillic "а");
2. the SMS/typo table ("plz" -> "please", "asnte" -> "asante", "sahii" -> "sasa");
   its answer goes through the rules below ("cjui" -> "sijui" -> "jua");
3. a code-switched verb: a Kiswahili prefix, with or without a hyphen, before an
   English verb from the list ("ku-register", "niregister", "ku-enroll" -> "enrol");
4. Kiswahili verb morphology: negative/subject, tense, relative, object/reflexive
   (ji-) and infinitive (ku-) prefixes, then a stem's root, then extensions
   (passive, applicative, causative, stative, reciprocal) and the final vowel,
   cut down to the stem ("nimejiandikisha" -> "andikisha", "amesajiliwa" ->
   "sajili", "sitaki" -> "taka"). Only when exactly a listed stem's root is left:
   "nairobi", "kozi" and "mafunzo" are not verbs and stay;
5. English inflection (-s, -es, -ies, -ed, -ing) and a table of irregular and
   derived forms, down to a listed base ("courses" -> "course", "registration" ->
   "register"), so "morning" and "news" stay;
6. letters repeated three times or more ("plzzz", "asanteeee") are squeezed and
   the rules tried again; anything else is just folded.

Punctuation, emoji and spaces are no tokens, as in Rasa's WhitespaceTokenizer.
:func:`normalise_tokens` is the entry point; :func:`explain` gives one word's lemma
with the rule that made it (for tests and debugging).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
import yaml
from spacy.lang.char_classes import ALPHA, HYPHENS
from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.util import compile_infix_regex, compile_suffix_regex

from bot.language import known_words

_LEXICON_DIR = Path(__file__).resolve().parents[1] / "lexicon"
LEXICON_FILE = _LEXICON_DIR / "normalisation.yml"

COMPONENT = "msaidizi_normaliser"
# token._.normalised_by: which rule gave the lemma.
RULE_ATTRIBUTE = "normalised_by"

PROTECTED = "protected"
LOOKUP = "lookup"
CODE_SWITCH = "code_switch"
SWAHILI = "swahili"
ENGLISH = "english"
SQUEEZED = "squeezed"
FOLDED = "folded"

# Words longer than this are no verb form we could know: folded only.
_MAX_WORD = 40
# Beyond this many strings in the spaCy vocabulary (every new word a long-running
# server sees adds some), the pipeline is built afresh.
_MAX_VOCABULARY_STRINGS = 200_000

# --- 0. things kept whole, as typed -----------------------------------------------
_EMAIL = r"[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+"
_PHONE = r"\+?\d[\d-]{6,}\d"
_REFERENCE = r"(?:ksg|hlp)[-_.:/]?[a-z0-9]{6}"
_COURSE_CODE = r"[a-z]{3}[-_]?\d{3}"
_LINK = r"(?:https?://|www\.)\S*[^\s.,;:!?)\]'\"]"
_PROTECTED = re.compile(rf"{_EMAIL}|{_PHONE}|{_REFERENCE}|{_COURSE_CODE}|{_LINK}", re.IGNORECASE)

# --- 1. folding -----------------------------------------------------------------
_LATIN = re.compile(r"[a-z]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# Cyrillic and Greek letters that look like Latin ones (after lower-casing).
_LOOK_ALIKES = str.maketrans(
    "аеорсхуіјѕкмтвнԁӏαοεικνρτυχ",
    "aeopcxyijskmtbhdlaoeikvptux",
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# --- 4. Kiswahili verb morphology ---------------------------------------------------
_NEGATIVE = r"si|hatu|hamu|ham|hawa|hai|hazi|hali|haya|haki|havi|hau|hapa|hu|ha"
_SUBJECT = r"ni|u|a|tu|mu|m|wa|i|li|ki|vi|zi|ya|pa|ku|yu"
_TENSE = r"mesha|me|na|li|ta|ki|ngali|ngeli|nge|ka|ja|sha|ku|kw"
_RELATIVE = r"ye|o|cho|vyo|lo|yo|zo|po|ko|mo"
_OBJECT = r"ni|kw|ku|mw|mu|m|tu|wa|ji|ki|vi|li|ya|i|zi|u|pa"
# Infinitive (ku-/kw-, negative kuto-) or finite (negative or subject, tense,
# relative after a tense, object); "n" stands for "ni" in SMS ("nmejisajili").
_PREFIX = re.compile(
    rf"(?:kw|ku)(?:to)?(?:{_OBJECT})?"
    rf"|(?:{_NEGATIVE}|{_SUBJECT}|n(?=me|ta|li|na|ki))?(?:(?:{_TENSE})(?:{_RELATIVE})?)?"
    rf"(?:{_OBJECT})?"
)
_NEGATIVE_START = ("si", "ha", "hu")
_MAX_PREFIX = 10
# After a Bantu root: up to two extensions (passive, applicative, stative,
# causative, reciprocal), the final vowel (-i only after a negative: "sitaki"),
# then the plural of the imperative ("tusaidieni") or the question -je
# ("nitasajilije").
_EXTENSION = r"(?:liw|lew|lik|lek|ish|esh|iw|ew|ik|ek|iz|ez|an|w|k|i|e)"
_BANTU_ENDING = re.compile(rf"{_EXTENSION}{{0,2}}(?P<final>[aei])(?:ni|je)?")
# After the root of a stem from Arabic or English ("sajili", "jibu", "sahau"): its
# own final vowel, then perhaps an extension ("sajiliwa", "hitajika").
_LOAN_ENDING = re.compile(r"[iue](?:[ae]|(?:lish|liw|lik|sh|an|w|k|z|e)[ae])?(?:ni|je)?")
_SWAHILI_WORD = re.compile(r"[a-z]+")
# Sheng SMS writes "si" as "c": "cjui", "cwezi", "ckuelewi".
_SHENG_SI = re.compile(r"c(?=[bdfgjklmnprstvwz])")

# --- 6. squeezing -----------------------------------------------------------------
_RUN = re.compile(r"([a-z])\1{2,}")

_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class NormalisedToken:
    """One token: ``text`` is ``message[start:end]``, ``lemma`` its normal form."""

    text: str
    start: int
    end: int
    lemma: str


@dataclass(frozen=True)
class Lexicon:
    """``normalisation.yml``, checked and indexed."""

    lookup: dict[str, str]
    english_verbs: frozenset[str]
    # root -> (stem, is a loan stem keeping its own final vowel)
    swahili_roots: dict[str, tuple[str, bool]]
    not_swahili_verbs: frozenset[str]
    english_bases: frozenset[str]
    english_irregular: dict[str, str]
    english_keep: frozenset[str]

    @property
    def max_root(self) -> int:
        return max(map(len, self.swahili_roots), default=0)


def _words(data: dict, section: str, path: Path) -> list[str]:
    values = data.get(section) or []
    # An unquoted yes/no/on/off is a YAML boolean, not a word.
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{path.name}: '{section}' must be a list of words (quote yes/no)")
    return [v.strip().lower() for v in values]


def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Reads and checks the normalisation data (a ValueError names what is wrong)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lookup: dict[str, str] = {}
    for normal, spellings in (data.get("lookup") or {}).items():
        if not isinstance(normal, str):
            raise ValueError(f"{path.name}: lookup key {normal!r} is no word (quote yes/no)")
        normal = normal.lower()
        for spelling in _words({normal: spellings}, normal, path):
            if lookup.get(spelling, normal) != normal:
                raise ValueError(
                    f"{path.name}: '{spelling}' means both '{lookup[spelling]}' and '{normal}'"
                )
            if spelling == normal:
                raise ValueError(f"{path.name}: '{normal}' is listed as its own spelling")
            lookup[spelling] = normal
    roots: dict[str, tuple[str, bool]] = {}
    for stem in _words(data, "swahili_stems", path):
        if len(stem) < 3 or not _SWAHILI_WORD.fullmatch(stem):
            raise ValueError(f"{path.name}: '{stem}' is no Kiswahili verb stem")
        root, loan = stem[:-1], not stem.endswith("a")
        if roots.get(root, (stem, loan))[0] != stem:
            raise ValueError(f"{path.name}: '{stem}' and '{roots[root][0]}' share a root")
        roots[root] = (stem, loan)
    irregular = {
        str(k).lower(): str(v).lower() for k, v in (data.get("english_irregular") or {}).items()
    }
    return Lexicon(
        lookup=lookup,
        english_verbs=frozenset(_words(data, "english_verbs", path)),
        swahili_roots=roots,
        not_swahili_verbs=frozenset(_words(data, "not_swahili_verbs", path)),
        english_bases=frozenset(_words(data, "english_bases", path)),
        english_irregular=irregular,
        english_keep=frozenset(_words(data, "english_keep", path)),
    )


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return load_lexicon()


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """English words from the language detector's list: never read as Kiswahili
    verbs ("one" is not o-n-e, "same" not sa-m-e)."""
    words: set[str] = set()
    for line in (_LEXICON_DIR / "en.txt").read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].lower().split())
    return frozenset(words)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Every word we know, for telling whether a squeezed word is one."""
    lex = lexicon()
    return (
        known_words()
        | lex.lookup.keys()
        | frozenset(lex.lookup.values())
        | lex.english_verbs
        | lex.english_bases
        | frozenset(stem for stem, _ in lex.swahili_roots.values())
    )


def normalisation_fingerprint() -> str:
    """Changes whenever the lemmas could: this module or the data it reads."""
    digest = hashlib.sha256()
    for path in [Path(__file__), LEXICON_FILE, *sorted(_LEXICON_DIR.glob("*.txt"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- the rules, one word at a time ------------------------------------------------


def is_protected(text: str) -> bool:
    """An email, phone number, course code, reference or link: kept as typed."""
    return _PROTECTED.fullmatch(text) is not None


def fold(text: str) -> str:
    """Lower case, NFKC, plain apostrophes; in a word with Latin letters, also no
    accents and Latin letters for Cyrillic/Greek look-alikes."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    if _NOT_ASCII.search(text) and _LATIN.search(text):
        text = text.translate(_LOOK_ALIKES)
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return text


def swahili_stem(word: str) -> str | None:
    """The stem of a Kiswahili verb form ("nimejiandikisha" -> "andikisha"), or None
    when no listed stem's root is left between prefixes and endings.

    Of several readings the one with the longest root wins ("tafuta" is not
    ta-futa, "hamisha" not ham-isha), then the one with the shortest prefix.
    """
    lex = lexicon()
    if (
        len(word) < 4
        or len(word) > _MAX_WORD
        or not _SWAHILI_WORD.fullmatch(word)
        or word in lex.not_swahili_verbs
        or word in _english_words()
    ):
        return None
    roots, max_root = lex.swahili_roots, lex.max_root
    best: tuple[int, int, str] | None = None
    for cut in range(min(_MAX_PREFIX, len(word) - 2) + 1):
        prefix = word[:cut]
        if not _PREFIX.fullmatch(prefix):
            continue
        negative = prefix.startswith(_NEGATIVE_START)
        rest = word[cut:]
        for size in range(min(max_root, len(rest) - 1), 1, -1):
            found = roots.get(rest[:size])
            if found is None:
                continue
            stem, loan = found
            ending = (_LOAN_ENDING if loan else _BANTU_ENDING).fullmatch(rest[size:])
            if ending is None or (not loan and ending["final"] == "i" and not negative):
                continue
            reading = (size, -cut, stem)
            if best is None or reading > best:
                best = reading
            break
    return best[2] if best else None


def _inflection_candidates(word: str) -> list[str]:
    candidates = []
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        candidates.append(word[:-1])
    if word.endswith("ied"):
        candidates.append(word[:-3] + "y")
    for ending, restore in (("ed", "e"), ("ing", "e")):
        if word.endswith(ending):
            stem = word[: -len(ending)]
            candidates += [stem, stem + restore]
            if len(stem) > 2 and stem[-1] == stem[-2]:  # "enrolled", "submitting"
                candidates.append(stem[:-1])
    return candidates


def english_base(word: str) -> str | None:
    """The base of an inflected or derived English word ("registering" ->
    "register"), or None unless it is a listed base or irregular form."""
    lex = lexicon()
    if word in lex.english_keep:
        return None
    if word in lex.english_irregular:
        return lex.english_irregular[word]
    if len(word) < 4:
        return None
    for candidate in _inflection_candidates(word):
        if candidate in lex.english_keep:
            continue
        if candidate in lex.english_bases:
            return candidate
        if candidate in lex.english_irregular:
            return lex.english_irregular[candidate]
        if lex.lookup.get(candidate) in lex.english_bases:  # "enrolled" -> "enroll"
            return lex.lookup[candidate]
    return None


def _english_verb(word: str) -> str | None:
    lex = lexicon()
    word = lex.lookup.get(word, word)
    if word in lex.english_verbs:
        return word
    base = english_base(word)
    return base if base in lex.english_verbs else None


def code_switched_verb(word: str) -> str | None:
    """The English verb behind a Kiswahili prefix ("ku-register", "nimeregister",
    "ni-withdraw" -> "register"/"withdraw"), or None."""
    if "-" in word:
        head, _, tail = word.partition("-")
        if head and tail and _PREFIX.fullmatch(head):
            return _english_verb(tail)
        return None
    if word in _english_words() or len(word) > _MAX_WORD:
        return None
    # Without a hyphen the prefix has at least two letters ("ku", "ni", "nime"), so
    # "await" is not a-wait.
    for cut in range(2, min(_MAX_PREFIX, len(word) - 3) + 1):
        if _PREFIX.fullmatch(word[:cut]):
            verb = _english_verb(word[cut:])
            if verb:
                return verb
    return None


def _rules(word: str) -> tuple[str, str] | None:
    """Rules 3–5 (and Sheng "c" for "si"), on a folded word."""
    if len(word) > _MAX_WORD or not _WORD.fullmatch(word):
        return None
    verb = code_switched_verb(word)
    if verb:
        return verb, CODE_SWITCH
    stem = swahili_stem(word)
    if stem:
        return stem, SWAHILI
    base = english_base(word)
    if base:
        return base, ENGLISH
    if _SHENG_SI.match(word):
        stem = swahili_stem(_SHENG_SI.sub("si", word, count=1))
        if stem:
            return stem, SWAHILI
    return None


def _analyse(word: str) -> tuple[str, str] | None:
    looked_up = lexicon().lookup.get(word)
    if looked_up is not None:
        further = _rules(looked_up)
        return (further[0] if further else looked_up), LOOKUP
    return _rules(word)


@lru_cache(maxsize=65_536)
def explain(word: str) -> tuple[str, str]:
    """(lemma, rule) for one token's text; the rule is one of PROTECTED, LOOKUP,
    CODE_SWITCH, SWAHILI, ENGLISH, SQUEEZED or FOLDED."""
    if is_protected(word):
        return word, PROTECTED
    folded = fold(word)
    found = _analyse(folded)
    if found:
        return found
    if _RUN.search(folded):
        doubled, single = _RUN.sub(r"\1\1", folded), _RUN.sub(r"\1", folded)
        for squeezed in (doubled, single):
            found = _analyse(squeezed)
            if found:
                return found
            if squeezed in _vocabulary():
                return squeezed, SQUEEZED
        return doubled, SQUEEZED
    return folded, FOLDED


def normalise_word(word: str) -> str:
    """The lemma of one token's text."""
    return explain(word)[0]


# --- the spaCy pipeline -------------------------------------------------------------

if not Token.has_extension(RULE_ATTRIBUTE):
    Token.set_extension(RULE_ATTRIBUTE, default=None)


@Language.component(COMPONENT)
def set_normal_forms(doc: Doc) -> Doc:
    """Sets ``token.lemma_`` (and ``token._.normalised_by``) on every token."""
    for token in doc:
        if token.is_space:
            continue
        lemma, rule = explain(token.text)
        token.lemma_ = lemma
        token._.set(RULE_ATTRIBUTE, rule)
    return doc


def _infixes(defaults: list[str]) -> list[str]:
    """spaCy's infixes, except that a plain hyphen between letters no longer splits
    ("ku-register", "e-mail", "HLP-ABCDEF" stay one token); dashes still do."""
    hyphen = rf"(?<=[{ALPHA}])(?:{HYPHENS})(?=[{ALPHA}])"
    if hyphen not in defaults:
        raise RuntimeError("spaCy's hyphen infix rule has changed: update _infixes")
    dashes = rf"(?<=[{ALPHA}])(?:–|—|--|---|——|~)(?=[{ALPHA}])"
    return [dashes if rule == hyphen else rule for rule in defaults]


def build_pipeline() -> Language:
    """A blank multi-language spaCy pipeline with our tokenizer rules and component."""
    nlp = spacy.blank("xx")
    nlp.tokenizer.infix_finditer = compile_infix_regex(
        _infixes(list(nlp.Defaults.infixes))
    ).finditer
    # A full stop ends a token after any letter, as after "KSG-7F3K9Q." (spaCy keeps
    # it after a capital, for abbreviations), and as in WhitespaceTokenizer.
    suffixes = [*nlp.Defaults.suffixes, r"\."]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    nlp.tokenizer.token_match = _PROTECTED.fullmatch
    nlp.add_pipe(COMPONENT)
    return nlp


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The pipeline, built once."""
    return build_pipeline()


def _is_word(token: Token) -> bool:
    return any(c.isalnum() for c in token.text) or token._.get(RULE_ATTRIBUTE) == PROTECTED


def normalise_tokens(text: str) -> list[NormalisedToken]:
    """The words of ``text`` with their lemmas, in order; punctuation, emoji and
    spaces are left out. ``text[token.start:token.end] == token.text``."""
    if not text or text.isspace():
        return []
    nlp = pipeline()
    doc = nlp(text)
    tokens = [
        NormalisedToken(t.text, t.idx, t.idx + len(t.text), t.lemma_)
        for t in doc
        if not t.is_space and _is_word(t)
    ]
    if len(nlp.vocab.strings) > _MAX_VOCABULARY_STRINGS:
        pipeline.cache_clear()
    return tokens
