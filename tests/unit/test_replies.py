"""The dynamic reply catalogue (bot/replies/*.yml): every reply exists in English
and Kiswahili with the same placeholders, renders, and is in the language it
claims to be; dates are spelled in the reply's language."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import replies
from bot.db.models import CourseMode, EnrolmentStatus, FeePayer
from bot.language import detect
from bot.replies import (
    MONTHS,
    MissingReply,
    bullet_list,
    catalogue,
    format_date,
    format_money,
    join_lines,
    language_of,
    placeholders,
    render,
)
from tests.unit.course_builders import sample_courses

KEYS = sorted(catalogue())

#: Texts longer than this many words must be recognisably in their language.
MIN_WORDS_FOR_DETECTION = 6


def dummy_params(key: str) -> dict[str, str]:
    return {name: f"<{name}>" for name in placeholders(catalogue()[key]["en"])}


def without_placeholders(text: str) -> str:
    return re.sub(r"\{[^{}]*\}", " ", text)


# --- Structure ------------------------------------------------------------------------


def test_the_catalogue_is_not_empty() -> None:
    assert len(KEYS) > 100
    assert {path.name for path in replies.REPLIES_DIR.glob("*.yml")} >= {
        "courses.yml",
        "registration.yml",
    }


def test_every_key_has_exactly_english_and_kiswahili() -> None:
    wrong = {key: sorted(texts) for key, texts in catalogue().items() if set(texts) != {"en", "sw"}}
    assert not wrong, f"replies without exactly en and sw: {wrong}"


def test_every_text_is_a_non_empty_string() -> None:
    wrong = [
        f"{key}.{lang}"
        for key, texts in catalogue().items()
        for lang, text in texts.items()
        if not isinstance(text, str) or not text.strip()
    ]
    assert not wrong, f"empty or non-text replies: {wrong}"


def test_english_and_kiswahili_have_the_same_placeholders() -> None:
    wrong = {
        key: (sorted(placeholders(texts["en"])), sorted(placeholders(texts["sw"])))
        for key, texts in catalogue().items()
        if placeholders(texts["en"]) != placeholders(texts["sw"])
    }
    assert not wrong, f"placeholders differ between en and sw (en, sw): {wrong}"


def test_no_key_is_defined_twice_within_a_file() -> None:
    """YAML silently keeps the last of two equal keys: a translator's second copy
    would hide the first. (Across files, :func:`catalogue` refuses duplicates.)"""

    class Strict(yaml.SafeLoader):
        pass

    duplicates: list[str] = []

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
        keys = [loader.construct_object(k) for k, _ in node.value]
        duplicates.extend(k for k in set(keys) if keys.count(k) > 1)
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    for path in sorted(replies.REPLIES_DIR.glob("*.yml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=Strict)  # a SafeLoader
    assert not duplicates, f"keys defined twice: {duplicates}"


def test_a_key_in_two_files_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yml").write_text('greeting: {en: "Hello", sw: "Habari"}\n')
    (tmp_path / "b.yml").write_text('greeting: {en: "Hi", sw: "Mambo"}\n')
    monkeypatch.setattr(replies, "REPLIES_DIR", tmp_path)
    catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match="greeting"):
            catalogue()
    finally:
        monkeypatch.undo()
        catalogue.cache_clear()
    assert "eligible_yes" in catalogue()


# --- Rendering ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("key", KEYS)
def test_every_text_renders_with_its_placeholders_filled(key: str, language: str) -> None:
    params = dummy_params(key)
    text = render(key, language, **params)
    assert text
    assert "{" not in text and "}" not in text
    for value in params.values():
        assert value in text


def test_render_fills_placeholders_in_the_language_asked() -> None:
    assert render("eligible_yes", "en", course="CLD-201") == "Yes, you can take CLD-201."
    assert render("eligible_yes", "sw", course="CLD-201") == "Ndiyo, unaweza kusoma CLD-201."


@pytest.mark.parametrize("language", [None, "", "fr", "EN"])
def test_an_unknown_language_falls_back_to_english(language: str | None) -> None:
    assert language_of(language) == "en"
    assert render("button_yes", language) == "Yes"


def test_render_of_an_unknown_key_raises_missing_reply() -> None:
    with pytest.raises(MissingReply) as raised:
        render("no_such_reply_key", "en")
    assert isinstance(raised.value, KeyError)  # callers may catch either
    assert "no_such_reply_key" in str(raised.value)


def test_render_without_a_needed_placeholder_fails_loudly() -> None:
    """Never a silent blank or a raw "{course}" in front of an officer."""
    with pytest.raises(KeyError):
        render("eligible_yes", "en")


def test_a_folded_multi_line_reply_keeps_its_lines_and_loses_trailing_space() -> None:
    text = render("ask_consent", "sw", controller="KSG", months=12, dpo="dpo@ksg.ac.ke")
    assert text == text.strip()
    assert text.count("\n") >= 5  # one line per point of the notice
    assert "miezi 12" in text and "dpo@ksg.ac.ke" in text


# --- Language of the texts --------------------------------------------------------------


def test_each_text_is_detected_as_its_own_language() -> None:
    """A Kiswahili reply that reads as English (or the reverse) would tell us the
    translation was skipped or the detector is wrong about words the bot itself
    uses. Placeholders are left out: they are filled with names, codes and dates."""
    wrong = []
    checked = 0
    for key, texts in catalogue().items():
        for language in ("en", "sw"):
            text = without_placeholders(texts[language])
            if len(text.split()) <= MIN_WORDS_FOR_DETECTION:
                continue
            checked += 1
            found = detect(text)
            if found.language != language:
                wrong.append(f"{key}.{language} read as {found.language}: {texts[language]!r}")
    assert checked > 150
    assert not wrong, "\n".join(wrong)


# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "english", "kiswahili"),
    [
        (date(2027, 3, 5), "5 March 2027", "5 Machi 2027"),
        (date(2027, 1, 31), "31 January 2027", "31 Januari 2027"),
        (date(2027, 8, 20), "20 August 2027", "20 Agosti 2027"),
        (date(2026, 12, 1), "1 December 2026", "1 Desemba 2026"),
    ],
)
def test_format_date_spells_the_month_in_each_language(
    day: date, english: str, kiswahili: str
) -> None:
    assert format_date(day, "en") == english
    assert format_date(day, "sw") == kiswahili
    assert format_date(day, None) == english


def test_every_month_has_a_distinct_name_in_each_language() -> None:
    for language in ("en", "sw"):
        names = [format_date(date(2027, month, 1), language).split()[1] for month in range(1, 13)]
        assert names == MONTHS[language]
        assert len(set(names)) == 12


def test_format_money_groups_thousands() -> None:
    assert format_money(5000) == "KES 5,000"
    assert format_money(150000) == "KES 150,000"
    assert format_money(0) == "KES 0"


def test_join_lines_drops_empty_lines_and_bullet_list_marks_each_item() -> None:
    assert join_lines(["a", "", "b"]) == "a\nb"
    assert bullet_list(["one", "two"]) == "• one\n• two"
    assert bullet_list([]) == ""


# --- Keys the code builds from values ----------------------------------------------------


def test_every_key_built_from_a_value_exists() -> None:
    """bot/course_info.py and bot/answers.py build keys such as ``status_<status>``
    and ``detail_mode_<mode>``: each value they can meet needs a reply."""
    needed = {f"status_{s.value}" for s in EnrolmentStatus}
    needed |= {f"next_step_{s.value}" for s in EnrolmentStatus}
    needed |= {f"detail_mode_{m.value}" for m in CourseMode}
    needed |= {f"detail_fee_{p.value}" for p in FeePayer if p is not FeePayer.NONE}
    needed |= {f"track_{c.track}" for c in sample_courses().values()}
    needed |= {f"who_{terms}" for terms in ("intern", "attache")}
    needed |= {f"summary_terms_{terms}" for terms in ("intern", "attache")}
    needed |= {
        f"registered_{s.value}"
        for s in (
            EnrolmentStatus.CONFIRMED,
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.PENDING_NOMINATION,
        )
    }
    needed |= {f"registration_{s}" for s in ("identity_conflict", "closed", "cohort_not_found")}
    needed |= {f"field_{f}" for f in ("email", "phone_number", "employer", "job_group")}
    missing = sorted(needed - set(catalogue()))
    assert not missing, f"no reply for: {missing}"
