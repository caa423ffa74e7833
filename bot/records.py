"""Reading what an officer says in the status, withdrawal and update forms
(issue 3, scope 4–6): plain Python, like :mod:`bot.registration`."""

from __future__ import annotations

import re
from typing import Any

from bot import registration
from bot.reference import normalise_reference
from bot.registration import Checked, Message

UPDATABLE = ("email", "phone_number", "employer", "job_group")
ACTIVE = ("confirmed", "pending_nomination", "waitlisted")

_FIELD_WORDS = {
    "email": r"e-?mail|barua\s+pepe|anwani\s+ya\s+barua",
    "phone_number": r"phone|mobile|simu|namba\s+ya\s+simu|nambari\s+ya\s+simu|number\s+ya\s+simu|tel",
    "employer": r"employer|ministry|department|county|agency|mwajiri|wizara|idara|kaunti|"
    r"transferred|moved\s+to|nimehamishwa|nimehamia|posted",
    "job_group": r"job\s*group|jg|kundi\s+la\s+kazi|promoted|promotion|nimepandishwa|csg|grade",
}


def field_named(text: str) -> str | None:
    """Which updatable detail a message talks about, if exactly one."""
    lowered = text.lower()
    found = [
        f for f, words in _FIELD_WORDS.items() if re.search(rf"(?<!\w)(?:{words})(?!\w)", lowered)
    ]
    return found[0] if len(found) == 1 else None


def interpret_verification(message: Message, requested: str | None) -> dict[str, Any]:
    """Personal number and reference, from entities or as the answer asked for."""
    if message.intent == "stop":
        return {}
    values: dict[str, Any] = {}
    for entity in ("personal_number", "reference"):
        if message.entity(entity) is not None:
            values[entity] = message.entity(entity)
    if (
        requested in ("personal_number", "reference")
        and requested not in values
        and not (
            message.intent in ("affirm", "deny")
            and registration.yes_or_no(message.text) is not None
        )
        and not (message.is_not_an_answer and registration.looks_like_a_request(message.text))
    ):
        values[requested] = message.text.strip()
    return values


def interpret_withdrawal(message: Message, requested: str | None) -> dict[str, Any]:
    if message.intent == "stop":
        return {}
    values = interpret_verification(message, requested)
    if requested == "withdraw_reference":
        values.pop("reference", None)
        # Any value set here keeps the form from being rejected, so a question
        # ("how long is the AI course?") must not be taken as a reference.
        interrupts = message.is_not_an_answer and registration.looks_like_a_request(message.text)
        ref = message.entity("reference") or (
            message.text.strip()
            if message.intent not in ("affirm", "deny") and not interrupts
            else None
        )
        if ref:
            values["withdraw_reference"] = ref
    elif requested == "withdraw_confirmed":
        if message.intent == "affirm":
            values["withdraw_confirmed"] = True
        elif message.intent == "deny":
            values["withdraw_confirmed"] = False
        elif registration.yes_or_no(message.text) is not None:
            values["withdraw_confirmed"] = registration.yes_or_no(message.text)
    return values


def interpret_update(
    message: Message, requested: str | None, current_field: str | None
) -> dict[str, Any]:
    values = interpret_verification(message, requested)
    if message.intent == "stop" or message.is_not_an_answer and message.intent != "update_details":
        return values
    chosen = message.entity("detail_field")
    for field in ("email", "phone_number", "job_group"):
        if message.entity(field) is not None and (current_field in (None, field)):
            values["detail_field"] = field
            values["detail_value"] = message.entity(field)
            return values
    if chosen is None and requested != "detail_value":
        chosen = field_named(message.text)
    if chosen is not None:
        values["detail_field"] = chosen
        return values
    if requested == "detail_value" and message.intent not in ("affirm", "deny"):
        text = message.text.strip()
        if current_field == "employer":
            text = registration._strip(registration._EMPLOYER_PREFIX, text)
        values["detail_value"] = text
    return values


def check_reference(text: Any) -> Checked:
    value = normalise_reference(str(text or ""))
    return Checked(value=value) if value else Checked(problem="reference_wrong_format")


def check_detail(field: str, value: Any, pattern: str) -> Checked:
    if field == "email":
        return registration.check_email(value)
    if field == "phone_number":
        return registration.check_phone(value)
    if field == "employer":
        return registration.check_employer(value)
    if field == "job_group":
        return registration.check_job_group(value)
    return Checked(problem="detail_field_unknown")
