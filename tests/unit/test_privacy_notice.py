"""Msaidizi's privacy notice (DPA 2019 s.29, s.32; issue 4 scope 2): every fact
comes from data/privacy/notice.yml, in English and Kiswahili."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.my_data import privacy_notice_text
from bot.privacy import TrainingPartner, load_notice, notice


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_notice_states_every_configured_fact(language: str) -> None:
    facts = notice()
    text = privacy_notice_text(language)
    for fact in (
        facts.controller(language),
        facts.controller_contact,
        facts.dpo_name(language),
        facts.dpo_contact,
        facts.storage(language),
        str(facts.retention_months_after_course),
    ):
        assert fact and fact in text, f"{fact!r} missing from the {language} notice"
    assert ("s.32" if language == "en" else "kifungu cha 30 na 32") in text
    assert "ODPC" in text


def test_the_sample_notice_says_it_is_a_sample() -> None:
    assert notice().sample
    assert "Sample notice" in privacy_notice_text("en")
    assert "Sample notice" not in privacy_notice_text("en", replace(notice(), sample=False))


def test_a_partner_is_named_only_where_configured() -> None:
    assert notice().training_partners == ()
    assert "No training partner receives your data." in privacy_notice_text("en")
    partner = TrainingPartner(
        "Example Partner Ltd", ("CLD-201", "AIP-201"),
        "your name and email, to book your exam", "jina na barua pepe yako, kwa mtihani",
    )  # fmt: skip
    facts = replace(notice(), training_partners=(partner,))
    text = privacy_notice_text("en", facts)
    assert "For CLD-201 and AIP-201, Example Partner Ltd receives your name and email" in text
    assert "No training partner" not in text
    assert "Kwa CLD-201 na AIP-201, Example Partner Ltd hupokea" in privacy_notice_text("sw", facts)
    assert facts.partners_for("CLD-201") == [partner] and facts.partners_for("DLF-101") == []


def test_a_notice_file_with_a_missing_fact_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "notice.yml"
    broken.write_text('notice_version: "1"\ncontroller: {en: X, sw: Y}\n')
    with pytest.raises(ValueError, match="missing or wrong field"):
        load_notice(broken)
