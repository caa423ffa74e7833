"""One lemma for the many spellings officers type (bot.nlu.normalise): SMS spelling
and typos, Kiswahili verb morphology, English verbs behind Kiswahili prefixes and
English inflection, with offsets into the message as typed. Plain Python: no Rasa."""

from __future__ import annotations

import time

import pytest

from bot.nlu import normalise
from bot.nlu.normalise import (
    CODE_SWITCH,
    ENGLISH,
    FOLDED,
    LOOKUP,
    PROTECTED,
    SQUEEZED,
    SWAHILI,
    NormalisedToken,
    explain,
    load_lexicon,
    normalise_tokens,
    normalise_word,
    pipeline,
)


def lemmas(text: str) -> list[str]:
    return [t.lemma for t in normalise_tokens(text)]


def texts(text: str) -> list[str]:
    return [t.text for t in normalise_tokens(text)]


# --- whole messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cn i regster plz", ["can", "i", "register", "please"]),
        ("hw do i enroll?", ["how", "do", "i", "enrol"]),
        ("wat is ur fee", ["what", "is", "your", "fee"]),
        ("nataka ku-register", ["taka", "register"]),
        ("Ninataka kujiandikisha kozi ya cloud", ["taka", "andikisha", "kozi", "ya", "cloud"]),
        ("nimesajiliwa lakini sijapata email", ["sajili", "lakini", "pata", "email"]),
        ("asnte sana, nko sawa sahii", ["asante", "sana", "niko", "sawa", "sasa"]),
        ("I registered for 2 courses", ["i", "register", "for", "2", "course"]),
        ("nataka ku-enrol CLD-201 pls", ["taka", "enrol", "CLD-201", "please"]),
    ],
)
def test_messages_as_officers_write_them(text: str, expected: list[str]) -> None:
    assert lemmas(text) == expected


def test_the_many_spellings_of_one_request_share_their_lemmas() -> None:
    spellings = [
        "nataka kujiandikisha",
        "Ninataka kujiandikisha",
        "ntaka kujiandikisha",
        "natakа kujiandikisha",  # a Cyrillic "а" in "nataka"
        "NATAKA KUJIANDIKISHA!!",
    ]
    assert {tuple(lemmas(s)) for s in spellings} == {("taka", "andikisha")}


# --- (a) folding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("Hello", "hello"),
        ("KOZI", "kozi"),
        ("natakа", "taka"),  # Cyrillic а
        ("cаfé", "cafe"),  # Cyrillic а and an accent
        ("ng’ombe", "ng'ombe"),  # curly apostrophe
        ("ｃｏｕｒｓｅ", "course"),  # full-width letters (NFKC)
    ],
)
def test_folding(word: str, lemma: str) -> None:
    assert normalise_word(word) == lemma


def test_a_word_in_another_script_is_not_turned_into_latin_letters() -> None:
    assert normalise_word("Привет") == "привет"


# --- (b) the SMS/typo table -----------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("plz", "please"),
        ("pls", "please"),
        ("plis", "please"),
        ("cn", "can"),
        ("u", "you"),
        ("ur", "your"),
        ("wat", "what"),
        ("wht", "what"),
        ("hw", "how"),
        ("regster", "register"),
        ("registr", "register"),
        ("enroll", "enrol"),
        ("enrolment", "enrol"),
        ("Enrollment", "enrol"),
        ("asnte", "asante"),
        ("ahsante", "asante"),
        ("sawasawa", "sawa"),
        ("nko", "niko"),
        ("sahii", "sasa"),
        ("sahi", "sasa"),
        ("e-mail", "email"),
        ("thx", "thanks"),
        ("tafadhari", "tafadhali"),
    ],
)
def test_sms_spellings_and_typos(word: str, lemma: str) -> None:
    assert explain(word) == (lemma, LOOKUP)


def test_a_looked_up_form_goes_through_the_rules_too() -> None:
    assert explain("cjui") == ("jua", LOOKUP)  # cjui -> sijui -> jua
    assert explain("ntaka") == ("taka", LOOKUP)  # ntaka -> nataka -> taka


def test_the_table_is_of_a_sensible_size_and_unambiguous() -> None:
    lexicon = load_lexicon()
    normal_forms = set(lexicon.lookup.values())
    assert 60 <= len(normal_forms) <= 150
    assert len(lexicon.lookup) > len(normal_forms)
    # Both languages are in it.
    assert {"please", "what", "register"} <= normal_forms
    assert {"asante", "sawa", "tafadhali"} <= normal_forms


def test_a_spelling_with_two_meanings_is_refused(tmp_path) -> None:
    path = tmp_path / "normalisation.yml"
    path.write_text("lookup:\n  you: [u]\n  your: [u]\nswahili_stems: [taka]\n")
    with pytest.raises(ValueError, match="'u' means both"):
        load_lexicon(path)


def test_yaml_booleans_are_caught(tmp_path) -> None:
    path = tmp_path / "normalisation.yml"
    path.write_text("lookup: {}\nswahili_stems: [taka]\nenglish_keep: [yes, news]\n")
    with pytest.raises(ValueError, match="english_keep"):
        load_lexicon(path)


# --- (c) code-switched verbs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("ku-register", "register"),
        ("ni-withdraw", "withdraw"),
        ("kuregister", "register"),
        ("niregister", "register"),
        ("nimeregister", "register"),
        ("nime-register", "register"),
        ("ku-enrol", "enrol"),
        ("ku-enroll", "enrol"),
        ("kuenroll", "enrol"),
        ("kuregista", "register"),
        ("tuapply", "apply"),
        ("nili-apply", "apply"),
        ("Ku-Register", "register"),
        ("nitaupdate", "update"),
    ],
)
def test_english_verbs_behind_kiswahili_prefixes(word: str, lemma: str) -> None:
    assert explain(word) == (lemma, CODE_SWITCH)


@pytest.mark.parametrize("word", ["self-paced", "ku-zoom", "e-learning", "well-known"])
def test_hyphenated_words_that_are_no_code_switched_verb_stay(word: str) -> None:
    assert normalise_word(word) == word


@pytest.mark.parametrize("word", ["await", "attend", "unregister", "kitchen", "watch", "login"])
def test_english_words_are_not_read_as_prefix_and_verb(word: str) -> None:
    assert explain(word)[1] != CODE_SWITCH


# --- (d) Kiswahili verb morphology ----------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("nataka", "taka"),
        ("ninataka", "taka"),
        ("sitaki", "taka"),
        ("hawataki", "taka"),
        ("inatakiwa", "taka"),
        ("nimejiandikisha", "andikisha"),
        ("kujiandikisha", "andikisha"),
        ("nijiandikishe", "andikisha"),
        ("umeandikishwa", "andikisha"),
        ("nimesajiliwa", "sajili"),
        ("amesajiliwa", "sajili"),
        ("kujisajili", "sajili"),
        ("nmejisajili", "sajili"),  # SMS "n" for "ni"
        ("kujiunga", "jiunga"),  # "unga" is flour: ji- belongs to the verb
        ("tujiunge", "jiunga"),
        ("kujiondoa", "ondoa"),
        ("ameondolewa", "ondoa"),
        ("naomba", "omba"),
        ("nisaidie", "saidia"),
        ("tusaidieni", "saidia"),
        ("sijui", "jua"),
        ("sielewi", "elewa"),
        ("inawezekana", "weza"),
        ("siwezi", "weza"),
        ("nimeshindwa", "shindwa"),
        ("nimesahau", "sahau"),
        ("nahitaji", "hitaji"),
        ("inahitajika", "hitaji"),
        ("kulipa", "lipa"),
        ("nimelipia", "lipa"),
        ("kubadilisha", "badilisha"),
        ("imekwisha", "isha"),
        ("kwenda", "enda"),
        ("nitasajilije", "sajili"),  # question -je
        ("anayetaka", "taka"),  # relative -ye-
        ("cwezi", "weza"),  # Sheng "c" for "si"
    ],
)
def test_kiswahili_verbs_come_down_to_their_stem(word: str, lemma: str) -> None:
    assert explain(word) == (lemma, SWAHILI)


def test_the_longest_root_wins() -> None:
    assert normalise_word("kutafuta") == "tafuta"  # not ku-ta-futa
    assert normalise_word("kuhamisha") == "hamisha"  # not ham-isha
    assert normalise_word("kutumia") == "tumia"  # not tum-i-a


@pytest.mark.parametrize(
    "word",
    [
        "nairobi",
        "kozi",
        "mafunzo",
        "maombi",
        "ombi",
        "wanafunzi",
        "watumishi",
        "serikali",
        "tafadhali",
        "habari",
        "kumbukumbu",  # "record": the cue for a reference, never kumbuka
        "kwanza",
        "tume",
        "mwanzo",
        "kazi",
        "akaunti",
        "huenda",
        "one",
        "same",
        "tuna",
    ],
)
def test_words_that_are_no_verb_form_are_left_alone(word: str) -> None:
    assert explain(word) == (word, FOLDED)


def test_a_bare_indicative_ending_in_i_needs_a_negative() -> None:
    # "wasomi" (scholars) is not wa-som-i; "hawasomi" (they don't read) is.
    assert normalise_word("wasomi") == "wasomi"
    assert normalise_word("hawasomi") == "soma"


# --- (e) English inflection -------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("courses", "course"),
        ("classes", "class"),
        ("fees", "fee"),
        ("registered", "register"),
        ("registering", "register"),
        ("registration", "register"),
        ("registrations", "register"),
        ("withdrawing", "withdraw"),
        ("withdrawal", "withdraw"),
        ("withdrew", "withdraw"),
        ("enrolled", "enrol"),
        ("enrolling", "enrol"),
        ("cancelled", "cancel"),
        ("submitted", "submit"),
        ("changing", "change"),
        ("applied", "apply"),
        ("applies", "apply"),
        ("paid", "pay"),
        ("certificates", "certificate"),
    ],
)
def test_english_inflection(word: str, lemma: str) -> None:
    assert explain(word) == (lemma, ENGLISH)


@pytest.mark.parametrize(
    "word",
    [
        "morning",
        "evening",
        "during",
        "news",
        "status",
        "training",
        "meeting",
        "nothing",
        "business",
        "process",
        "this",
        "bus",
        "thing",
        "accounting",
        "registrar",
        "registry",
    ],
)
def test_ordinary_english_words_are_not_cut(word: str) -> None:
    assert normalise_word(word) == word


# --- squeezed letters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("plzzz", "please"), ("asanteeee", "asante"), ("sawaaa", "sawa"), ("noooo", "no")],
)
def test_letters_repeated_for_emphasis(word: str, lemma: str) -> None:
    assert normalise_word(word) == lemma


def test_an_unknown_squeezed_word_keeps_two_letters() -> None:
    assert explain("aaaargh") == ("aargh", SQUEEZED)


def test_digits_are_not_squeezed() -> None:
    assert normalise_word("1000") == "1000"


# --- kept whole, as typed -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "CLD-201",
        "cld201",
        "KSG-7F3K9Q",
        "ksg-7f3k9q",
        "HLP-ABC234",
        "jane.w@Health.go.ke",
        "mary-jane@ksg.ac.ke",
        "+254712345678",
        "0712345678",
        "0712-345-678",
        "https://ksg.ac.ke/courses?id=1",
    ],
)
def test_codes_contacts_and_links_are_one_token_with_their_text_as_lemma(typed: str) -> None:
    for message in (typed, f"see {typed}, thanks", f"({typed})", f"ni {typed}."):
        tokens = [t for t in normalise_tokens(message) if t.text == typed]
        assert tokens == [
            NormalisedToken(typed, message.index(typed), message.index(typed) + len(typed), typed)
        ], message
        assert explain(typed) == (typed, PROTECTED)


# --- tokens and offsets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hi, nataka ku-register for CLD-201 plz!",
        "  leading and trailing spaces  ",
        "new\nlines\tand  double  spaces",
        "email: jane@ksg.go.ke; phone (0712 345 678)",
        "what's the fee?? I'm ng'ombe...",
        "natakа 👍🏽 kozi 🙏",
        "Nimejiandikisha—je, ni sawa?",
    ],
)
def test_offsets_point_at_the_text_as_typed(text: str) -> None:
    tokens = normalise_tokens(text)
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert token.lemma
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)


def test_punctuation_and_emoji_are_no_tokens() -> None:
    assert texts("Hi!!! 👍 sawa :) ... ?") == ["Hi", "sawa"]
    assert texts("nataka ku-register, plz.") == ["nataka", "ku-register", "plz"]


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "👍", "🙏🏽🙏🏽", "?!", "..."])
def test_nothing_to_tokenize(text: str) -> None:
    assert normalise_tokens(text) == []


def test_spacy_tokens_carry_the_lemma_and_the_rule() -> None:
    doc = pipeline()("nataka ku-register plz")
    assert [t.lemma_ for t in doc] == ["taka", "register", "please"]
    assert [t._.normalised_by for t in doc] == [SWAHILI, CODE_SWITCH, LOOKUP]


def test_the_pipeline_is_built_once() -> None:
    assert pipeline() is pipeline()


def test_a_very_long_message_is_fine_and_fast() -> None:
    text = ("Nataka ku-register kozi ya CLD-201 plz, asnte! " * 250)[:10_000]
    started = time.perf_counter()
    tokens = normalise_tokens(text)
    assert time.perf_counter() - started < 1.0
    assert len(tokens) > 1000
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert {t.lemma for t in tokens} >= {"taka", "register", "CLD-201", "please", "asante"}


@pytest.mark.parametrize("text", ["a" * 10_000, "ni" * 5_000, "kujiandikisha" * 700])
def test_one_very_long_word_is_fine_and_fast(text: str) -> None:
    started = time.perf_counter()
    tokens = normalise_tokens(text)
    assert time.perf_counter() - started < 1.0
    assert [t.text for t in tokens] == [text]


def test_a_typical_message_takes_well_under_a_millisecond() -> None:
    message = "hw do i withdraw from the cloud course? nimejiandikisha lakini sijapata email"
    normalise_tokens(message)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        normalise_tokens(message)
    assert (time.perf_counter() - started) / runs < 0.001


def test_the_pipeline_is_rebuilt_when_its_vocabulary_grows_too_big(monkeypatch) -> None:
    first = pipeline()
    monkeypatch.setattr(normalise, "_MAX_VOCABULARY_STRINGS", 0)
    normalise_tokens("a fresh word: zxqwv")
    monkeypatch.undo()
    assert pipeline() is not first
    assert lemmas("plz") == ["please"]


def test_the_fingerprint_follows_the_data() -> None:
    assert normalise.normalisation_fingerprint() == normalise.normalisation_fingerprint()
    assert len(normalise.normalisation_fingerprint()) == 64
