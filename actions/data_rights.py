"""Officers' data rights by chat (issue 4; DPA 2019 s.26, s.32, s.38, s.40) and
Msaidizi's privacy notice.

Every right needs the officer proved first (:class:`actions.records.VerifiedForm`:
the chat that registered, or the personal number with a reference number). Each
request — granted, refused because the officer was not proved, cancelled, or
failed — is written to ``data_requests`` (what, when, outcome) for
accountability. The work itself is in :mod:`bot.data_rights` (database) and
:mod:`bot.tracker_redaction` (conversation history); the texts in
:mod:`bot.my_data`.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    Context,
    button,
    language,
    latest_message,
    load_context,
    say,
)
from actions.database import DatabaseUnavailable, in_transaction
from actions.records import VerifiedForm, record_request
from actions.registration import AskForSlot, reset_events
from bot import data_rights, my_data, records, registration, tracker_redaction
from bot.config import get_settings
from bot.console import conversations as console_conversations
from bot.data_rights import DataRequestKind, DataRequestOutcome

logger = logging.getLogger(__name__)

EXPORT_FORMATS = {"json": "application/json", "csv": "text/csv"}


class RightsAction(Action, ABC):
    """The end of a data-rights form: acts for the proved officer, or records the
    request as refused (proof failed, or nobody proved) and shows nothing. A right
    that needs a yes first (``confirm_slot``) is recorded as cancelled on a no."""

    kind: DataRequestKind
    confirm_slot: str | None = None
    kept_reply: str = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("service_unavailable"):
            return [SlotSet("service_unavailable", None)]
        try:
            context = None if tracker.get_slot("verified") is False else await load_context(tracker)
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return []
        if context is None or context.officer is None:
            await record_request(tracker, self.kind, DataRequestOutcome.REFUSED_UNVERIFIED)
            return reset_events()
        officer_id = context.officer.id
        if self.confirm_slot and tracker.get_slot(self.confirm_slot) is not True:
            say(dispatcher, tracker, self.kept_reply)
            await record_request(tracker, self.kind, DataRequestOutcome.CANCELLED, officer_id)
            return reset_events()
        try:
            outcome, detail = await self.act(dispatcher, tracker, context)
        except DatabaseUnavailable:
            say(dispatcher, tracker, "service_unavailable")
            return []
        await record_request(tracker, self.kind, outcome, officer_id, detail=detail)
        return reset_events()

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> tuple[DataRequestOutcome, str | None]:
        """Does what the officer asked; returns the outcome and a non-personal
        detail for the request record (raises ``DatabaseUnavailable``)."""


async def _report(context: Context) -> data_rights.PersonalDataReport:
    officer_id = context.officer.id
    return await in_transaction(
        lambda session: data_rights.personal_data_of(session, officer_id), read_only=True
    )


def _yes_no_answer(tracker: Tracker, slot: str) -> dict[str, Any]:
    message = latest_message(tracker)
    if tracker.get_slot("requested_slot") != slot:
        return {}
    if message.intent == "affirm":
        return {slot: True}
    if message.intent == "deny":
        return {slot: False}
    answer = registration.yes_or_no(message.text)
    return {} if answer is None else {slot: answer}


# --- Privacy notice -------------------------------------------------------------------


class ActionPrivacyNotice(Action):
    def name(self) -> str:
        return "action_privacy_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=my_data.privacy_notice_text(language(tracker)))
        return []


# --- Access (s.26) and a copy (s.38) -----------------------------------------------------


class ValidateDataAccessForm(VerifiedForm):
    def name(self) -> str:
        return "validate_data_access_form"


def export_buttons(tracker: Tracker) -> list[dict[str, str]]:
    return [
        button(tracker, "button_export_json", '/data_export{"export_format":"json"}'),
        button(tracker, "button_export_csv", '/data_export{"export_format":"csv"}'),
        button(tracker, "button_no_thanks", "/deny"),
    ]


class ActionShowMyData(RightsAction):
    """Shows everything held about the proved officer, and offers a copy."""

    kind = DataRequestKind.ACCESS

    def name(self) -> str:
        return "action_show_my_data"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> tuple[DataRequestOutcome, str | None]:
        report = await _report(context)
        dispatcher.utter_message(
            text=my_data.summary_text(report, language(tracker)), buttons=export_buttons(tracker)
        )
        return DataRequestOutcome.COMPLETED, None


def export_format_of(text: str) -> str | None:
    from bot.nlu.helpdesk_entities import EXPORT_FORMAT, extract_entities

    found = [e["value"] for e in extract_entities(text) if e["entity"] == EXPORT_FORMAT]
    return found[0] if len(set(found)) == 1 else None


class ValidateDataExportForm(VerifiedForm):
    after_proof = ("export_format",)

    def name(self) -> str:
        return "validate_data_export_form"

    def prefill(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        named = next(tracker.get_latest_entity_values("export_format"), None)
        return {"export_format": named} if named else {}

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        values = super().interpret(tracker, context)
        if tracker.get_slot("requested_slot") == "export_format":
            message = latest_message(tracker)
            if message.intent == "stop":
                return values
            values["export_format"] = message.entity("export_format") or export_format_of(
                message.text
            )
            if values["export_format"] is None and message.intent == "deny":
                values.pop("export_format")  # "no thanks": the form's stop rule ends it
            elif values["export_format"] is None:
                values["export_format"] = message.text
        return values

    async def validate_export_format(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        chosen = str(value or "").strip().lower()
        if chosen in EXPORT_FORMATS:
            return {"export_format": chosen}
        say(dispatcher, tracker, "export_format_unknown")
        return {"export_format": None}


class AskExportFormat(AskForSlot):
    slot = "export_format"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        say(dispatcher, tracker, "ask_export_format", buttons=export_buttons(tracker)[:2])


class ActionSendDataExport(RightsAction):
    """Sends the proved officer a copy of all their data as a file: a ``custom``
    payload ``{"type": "file", "filename", "mime_type", "content"}`` that the web
    widget offers as a download and channels send as a document, with a text
    message for channels that show only text."""

    kind = DataRequestKind.EXPORT

    def name(self) -> str:
        return "action_send_data_export"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> tuple[DataRequestOutcome, str | None]:
        chosen = tracker.get_slot("export_format")
        if chosen not in EXPORT_FORMATS:  # the form always fills it; never guess
            return DataRequestOutcome.CANCELLED, None
        report = await _report(context)
        export = data_rights.export_json if chosen == "json" else data_rights.export_csv
        filename = f"msaidizi-my-data-{context.today.isoformat()}.{chosen}"
        say(dispatcher, tracker, "data_export_ready", format=chosen.upper(), filename=filename)
        dispatcher.utter_message(
            json_message={
                "type": "file",
                "filename": filename,
                "mime_type": EXPORT_FORMATS[chosen],
                "content": export(report),
            }
        )
        return DataRequestOutcome.COMPLETED, chosen


# --- Erasure (s.26, s.40) --------------------------------------------------------------


async def _active_references(context: Context) -> list[str]:
    from bot import officers

    officer_id = context.officer.id
    views = await in_transaction(
        lambda session: officers.enrolments_of(session, officer_id), read_only=True
    )
    return [v.reference for v in views if v.status in records.ACTIVE]


class ValidateDataEraseForm(VerifiedForm):
    after_proof = ("erase_confirmed",)

    def name(self) -> str:
        return "validate_data_erase_form"

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return {**super().interpret(tracker, context), **_yes_no_answer(tracker, "erase_confirmed")}


class AskEraseConfirmed(AskForSlot):
    slot = "erase_confirmed"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        active = await _active_references(context) if context.officer else []
        withdrawals = (
            my_data.render_items("erase_withdrawals", active, lang) + "\n" if active else ""
        )
        say(
            dispatcher,
            tracker,
            "ask_erase_confirmed",
            buttons=[
                button(tracker, "button_erase", "/affirm"),
                button(tracker, "button_keep_data", "/deny"),
            ],
            withdrawals=withdrawals,
        )


class ActionEraseMyData(RightsAction):
    """Erases the proved officer's personal data from the enrolment database and
    redacts their conversations in the tracker store; only anonymous counts stay."""

    kind = DataRequestKind.ERASURE
    confirm_slot = "erase_confirmed"
    kept_reply = "erase_kept"

    def name(self) -> str:
        return "action_erase_my_data"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> tuple[DataRequestOutcome, str | None]:
        officer_id = context.officer.id
        erasure = await in_transaction(
            lambda session: data_rights.erase_officer(session, officer_id)
        )
        withdrawn = f"{len(erasure.withdrawn_references)} enrolments withdrawn"
        senders = {sender for _, sender in erasure.conversations} | {tracker.sender_id}
        values = list(erasure.values)
        for value in erasure.values:
            if value.startswith("+254"):
                values += tracker_redaction.phone_variants(value)
        try:
            redacted = await asyncio.to_thread(
                tracker_redaction.redact_conversations,
                get_settings().tracker_store_url,
                sorted(senders),
                values,
            )
        except Exception:  # the records are erased; the history must still be finished
            logger.error("erasure: conversation history not redacted", exc_info=True)
            say(dispatcher, tracker, "erase_history_pending")
            return DataRequestOutcome.FAILED, f"{withdrawn}; conversation history not redacted"
        try:
            # The support console's search index holds what was said: index again.
            await console_conversations.forget(
                get_settings().tracker_store_url, sorted(senders), values
            )
        except Exception:
            logger.error("erasure: console search index not updated", exc_info=True)
            say(dispatcher, tracker, "erase_history_pending")
            return DataRequestOutcome.FAILED, f"{withdrawn}; console search index not updated"
        lang = language(tracker)
        say(
            dispatcher,
            tracker,
            "erased",
            withdrawn=my_data.render_items("erased_withdrawn", erasure.withdrawn_references, lang)
            if erasure.withdrawn_references
            else "",
        )
        return DataRequestOutcome.COMPLETED, (
            f"{withdrawn}; {redacted.conversations} conversations redacted"
        )


# --- Consent withdrawal (s.32) -------------------------------------------------------------


class ValidateConsentWithdrawalForm(VerifiedForm):
    after_proof = ("consent_withdrawal_confirmed",)

    def name(self) -> str:
        return "validate_consent_withdrawal_form"

    def interpret(self, tracker: Tracker, context: Context) -> dict[str, Any]:
        return {
            **super().interpret(tracker, context),
            **_yes_no_answer(tracker, "consent_withdrawal_confirmed"),
        }


class AskConsentWithdrawalConfirmed(AskForSlot):
    slot = "consent_withdrawal_confirmed"

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> None:
        lang = language(tracker)
        active = await _active_references(context) if context.officer else []
        effect = (
            my_data.render_items("consent_effect_cancels", active, lang)
            if active
            else my_data.render_items("consent_effect_nothing_active", [], lang)
        )
        say(
            dispatcher,
            tracker,
            "ask_consent_withdrawal_confirmed",
            buttons=[
                button(tracker, "button_withdraw_consent", "/affirm"),
                button(tracker, "button_keep_consent", "/deny"),
            ],
            effect=effect,
        )


class ActionWithdrawConsent(RightsAction):
    """Withdraws the proved officer's consent: active registrations are cancelled
    (their seats released), nothing done before is undone, and erasure is offered."""

    kind = DataRequestKind.CONSENT_WITHDRAWAL
    confirm_slot = "consent_withdrawal_confirmed"
    kept_reply = "consent_kept"

    def name(self) -> str:
        return "action_withdraw_consent"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: Context
    ) -> tuple[DataRequestOutcome, str | None]:
        officer_id = context.officer.id
        result = await in_transaction(
            lambda session: data_rights.withdraw_consent(session, officer_id)
        )
        erase = [
            button(tracker, "button_erase_now", "/my_data_erase"),
            button(tracker, "button_no_thanks", "/deny"),
        ]
        references = result.withdrawn_references
        if result.consents_withdrawn == 0 and not references:
            say(dispatcher, tracker, "consent_already_withdrawn", buttons=erase)
        else:
            cancelled = (
                my_data.render_items("consent_withdrawn_cancelled", references, language(tracker))
                if references
                else ""
            )
            say(dispatcher, tracker, "consent_withdrawn", buttons=erase, cancelled=cancelled)
        return DataRequestOutcome.COMPLETED, f"{len(references)} enrolments withdrawn"
