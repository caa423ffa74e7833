"""The facts the consent notice states (DPA 2019 s.29, s.32), read from
``data/privacy/notice.yml`` so an operator can change the controller, the DPO's
contact or the retention period without touching code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT

NOTICE_FILE = PROJECT_ROOT / "data" / "privacy" / "notice.yml"


@dataclass(frozen=True)
class PrivacyNotice:
    notice_version: str
    controller_en: str
    controller_sw: str
    dpo_contact: str
    retention_months_after_course: int
    sample: bool

    def controller(self, language: str | None) -> str:
        return self.controller_sw if language == "sw" else self.controller_en


def load_notice(path: Path = NOTICE_FILE) -> PrivacyNotice:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return PrivacyNotice(
            notice_version=str(data["notice_version"]),
            controller_en=data["controller"]["en"],
            controller_sw=data["controller"]["sw"],
            dpo_contact=data["dpo_contact"],
            retention_months_after_course=int(data["retention_months_after_course"]),
            sample=bool(data.get("sample", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: missing or wrong field ({error})") from error


@lru_cache(maxsize=1)
def notice() -> PrivacyNotice:
    return load_notice()
