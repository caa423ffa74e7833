"""Msaidizi's own privacy notice (DPA 2019 s.29 duty to notify, s.32 consent), read
from ``data/privacy/notice.yml`` so an operator can change the controller, the
contacts, the DPO, the storage location, training partners or the retention
period without touching code. The consent question and the "privacy notice"
answer both come from here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

NOTICE_FILE = PROJECT_ROOT / "data" / "privacy" / "notice.yml"


@dataclass(frozen=True)
class TrainingPartner:
    """A partner that receives some of an officer's data for some courses."""

    name: str
    courses: tuple[str, ...]
    shares_en: str
    shares_sw: str

    def shares(self, language: str | None) -> str:
        return self.shares_sw if language == "sw" else self.shares_en


@dataclass(frozen=True)
class PrivacyNotice:
    notice_version: str
    controller_en: str
    controller_sw: str
    dpo_contact: str
    retention_months_after_course: int
    sample: bool
    controller_contact: str = ""
    dpo_name_en: str = "the Data Protection Officer"
    dpo_name_sw: str = "Afisa wa Ulinzi wa Data (DPO)"
    storage_en: str = ""
    storage_sw: str = ""
    training_partners: tuple[TrainingPartner, ...] = field(default_factory=tuple)

    def controller(self, language: str | None) -> str:
        return self.controller_sw if language == "sw" else self.controller_en

    def dpo_name(self, language: str | None) -> str:
        return self.dpo_name_sw if language == "sw" else self.dpo_name_en

    def storage(self, language: str | None) -> str:
        return self.storage_sw if language == "sw" else self.storage_en

    def partners_for(self, course_code: str | None = None) -> list[TrainingPartner]:
        """The partners that see data for ``course_code`` (all of them for None)."""
        return [p for p in self.training_partners if course_code in (None, *p.courses)]


def _bilingual(data: Mapping[str, Any], key: str) -> tuple[str, str]:
    value = data[key]
    return str(value["en"]), str(value["sw"])


def _partner(data: Mapping[str, Any]) -> TrainingPartner:
    shares_en, shares_sw = _bilingual(data, "shares")
    return TrainingPartner(
        name=str(data["name"]),
        courses=tuple(str(c) for c in data["courses"]),
        shares_en=shares_en,
        shares_sw=shares_sw,
    )


def load_notice(path: Path = NOTICE_FILE) -> PrivacyNotice:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        controller_en, controller_sw = _bilingual(data, "controller")
        dpo_en, dpo_sw = _bilingual(data, "dpo_name") if "dpo_name" in data else ("", "")
        storage_en, storage_sw = _bilingual(data, "storage") if "storage" in data else ("", "")
        return PrivacyNotice(
            notice_version=str(data["notice_version"]),
            controller_en=controller_en,
            controller_sw=controller_sw,
            dpo_contact=data["dpo_contact"],
            retention_months_after_course=int(data["retention_months_after_course"]),
            sample=bool(data.get("sample", False)),
            controller_contact=str(data.get("controller_contact") or ""),
            dpo_name_en=dpo_en or PrivacyNotice.dpo_name_en,
            dpo_name_sw=dpo_sw or PrivacyNotice.dpo_name_sw,
            storage_en=storage_en,
            storage_sw=storage_sw,
            training_partners=tuple(_partner(p) for p in data.get("training_partners") or []),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: missing or wrong field ({error})") from error


@lru_cache(maxsize=1)
def notice() -> PrivacyNotice:
    return load_notice()
