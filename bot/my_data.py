"""What Msaidizi tells an officer about their data (issue 4; DPA 2019 s.26, s.29,
s.32, s.40): the privacy notice, the summary of everything held about them, and
what erasing or withdrawing consent will do. Plain Python over :mod:`bot.privacy`
and :mod:`bot.data_rights`; the actions only pass the text on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot import replies
from bot.privacy import PrivacyNotice, notice

if TYPE_CHECKING:
    from bot.data_rights import PersonalDataReport

#: Officer fields shown to the officer, in this order.
SHOWN_FIELDS = (
    "full_name",
    "personal_number",
    "email",
    "phone_number",
    "employer",
    "job_group",
    "terms_of_service",
    "created_at",
)


def _day(value: Any, language: str) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return replies.format_date(value, language)
    if isinstance(value, str) and value:
        try:
            return replies.format_date(date.fromisoformat(value[:10]), language)
        except ValueError:
            return value
    return ""


def _list(items: Sequence[str], language: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    joiner = " na " if language == "sw" else " and "
    return ", ".join(items[:-1]) + joiner + items[-1]


def privacy_notice_text(language: str, facts: PrivacyNotice | None = None) -> str:
    """The privacy notice in ``language``, from the configured facts."""
    facts = facts or notice()
    partners = [
        replies.render(
            "privacy_partner",
            language,
            courses=_list(list(p.courses), language),
            partner=p.name,
            shares=p.shares(language),
        )
        for p in facts.partners_for()
    ]
    text = replies.render(
        "privacy_notice",
        language,
        controller=facts.controller(language),
        controller_contact=facts.controller_contact,
        storage=facts.storage(language),
        months=facts.retention_months_after_course,
        dpo_name=facts.dpo_name(language),
        dpo=facts.dpo_contact,
        partners=" ".join(partners) or replies.render("privacy_no_partners", language),
    )
    if facts.sample:
        text += "\n" + replies.render("privacy_sample", language)
    return text


def _value(field: str, value: Any, language: str) -> str:
    if field == "created_at":
        return _day(value, language)
    if value in (None, ""):
        return "—"
    return str(getattr(value, "value", value))


def enrolment_line(enrolment: dict[str, Any], language: str) -> str:
    title_key = "course_title_sw" if language == "sw" else "course_title"
    course = enrolment.get("course_code") or ""
    title = enrolment.get(title_key) or enrolment.get("course_title")
    return replies.render(
        "my_data_enrolment_line",
        language,
        reference=enrolment["reference"],
        course=f"{course} {title}".strip() if title else course,
        start=_day(enrolment.get("start_date"), language),
        campus=enrolment.get("campus") or "",
        status=replies.render(f"status_{enrolment['status']}", language),
    )


def summary_text(report: PersonalDataReport, language: str) -> str:
    """Everything held about the officer, readable in a chat message."""
    officer = report.officer
    details = [
        f"{replies.render(f'data_label_{f}', language)}: {_value(f, officer.get(f), language)}"
        for f in SHOWN_FIELDS
        if f in officer
    ]
    parts = [
        replies.render("my_data_intro", language),
        replies.render("my_data_details", language, items=replies.bullet_list(details)),
    ]
    if report.enrolments:
        lines = [enrolment_line(e, language) for e in report.enrolments]
        parts.append(
            replies.render("my_data_enrolments", language, items=replies.bullet_list(lines))
        )
    else:
        parts.append(replies.render("my_data_no_enrolments", language))
    if report.consents:
        lines = [consent_line(c, language) for c in report.consents]
        parts.append(replies.render("my_data_consents", language, items=replies.bullet_list(lines)))
    if report.identities:
        channels = sorted({str(i["channel"]) for i in report.identities})
        parts.append(replies.render("my_data_chats", language, items=", ".join(channels)))
    if report.requests:
        lines = [request_line(r, language) for r in report.requests]
        parts.append(replies.render("my_data_requests", language, items=replies.bullet_list(lines)))
    parts.append(replies.render("my_data_footer", language))
    return "\n\n".join(parts)


def consent_line(consent: dict[str, Any], language: str) -> str:
    purpose_key = f"purpose_{consent.get('purpose')}"
    purpose = (
        replies.render(purpose_key, language)
        if purpose_key in replies.catalogue()
        else str(consent.get("purpose"))
    )
    params = {
        "purpose": purpose,
        "given": _day(consent.get("given_at"), language),
        "version": consent.get("notice_version") or "",
    }
    if consent.get("withdrawn_at"):
        return replies.render(
            "my_data_consent_withdrawn_line",
            language,
            withdrawn=_day(consent["withdrawn_at"], language),
            **{k: v for k, v in params.items() if k != "version"},
        )
    return replies.render("my_data_consent_line", language, **params)


def request_line(request: dict[str, Any], language: str) -> str:
    kind = str(getattr(request["kind"], "value", request["kind"]))
    outcome = str(getattr(request["outcome"], "value", request["outcome"]))
    return replies.render(
        "my_data_request_line",
        language,
        kind=replies.render(f"request_{kind}", language),
        date=_day(request.get("requested_at"), language),
        outcome=replies.render(f"outcome_{outcome}", language),
    )


def render_items(key: str, items: Sequence[str], language: str) -> str:
    """Reply ``key`` with ``{items}`` as "A, B and C" in ``language``."""
    return replies.render(key, language, items=_list(list(items), language))
