"""Writes data/rules/data_rights.yml: the dialogue rules of issue 4 (data
protection questions, the privacy notice, and the data-rights forms).

The rights forms follow the same pattern as the helpdesk forms
(data/rules/helpdesk.yml): start, finish (the submit action decides what to
say), stop, a person asked for, questions answered and the form resumed, and any
other intent answered with a short hint and the question again. Questions about
data protection and the privacy notice are answered mid-form in every form,
helpdesk forms included.

    .venv/bin/python scripts/gen_data_rights_rules.py   # then review the diff
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "rules" / "data_rights.yml"

HELPDESK_FORMS = [
    "registration_form",
    "eligibility_form",
    "status_form",
    "withdrawal_form",
    "update_details_form",
]
# form -> (intent that starts it, action that finishes it)
RIGHTS_FORMS = {
    "data_access_form": ("my_data_access", "action_show_my_data"),
    "data_export_form": ("data_export", "action_send_data_export"),
    "data_erase_form": ("my_data_erase", "action_erase_my_data"),
    "consent_withdrawal_form": ("withdraw_consent", "action_withdraw_consent"),
}
# Answered, then the form asks its question again.
QUESTIONS = {
    "data_protection": "utter_data_protection",
    "privacy_notice": "action_privacy_notice",
}
HELPDESK_QUESTIONS = {
    "course_details": "action_course_details",
    "list_courses": "action_list_courses",
    "ask_help": "utter_help",
    "bot_challenge": "utter_iamabot",
    "out_of_scope": "utter_out_of_scope",
}
# Answer nothing in a form: a hint and the question again.
REPROMPTED = [
    "affirm", "deny", "nlu_fallback", "inform", "greet", "thank", "goodbye",
    "switch_language", "register", "check_eligibility", "check_status", "withdraw",
    "update_details",
]  # fmt: skip
RIGHTS_INTENTS = [intent for intent, _ in RIGHTS_FORMS.values()]


def rule(name: str, steps: list[str], form: str | None = None) -> str:
    lines = [f"  - rule: {name}"]
    if form:
        lines += ["    condition:", f"      - active_loop: {form}"]
    lines += ["    steps:", *(f"      {s}" for s in steps)]
    return "\n".join(lines)


def ended() -> list[str]:
    return ["- active_loop: null", "- slot_was_set:", "    - requested_slot: null"]


def rules() -> list[str]:
    out = [
        rule("answer a data protection question", ["- intent: data_protection",
                                                   "- action: utter_data_protection"]),
        rule("show the privacy notice", ["- intent: privacy_notice",
                                         "- action: action_privacy_notice"]),
    ]  # fmt: skip
    for form in HELPDESK_FORMS:
        for intent, action in QUESTIONS.items():
            out.append(rule(f"{intent} during {form}", [
                f"- intent: {intent}", f"- action: {action}",
                f"- action: {form}", f"- active_loop: {form}",
            ], form))  # fmt: skip
        for intent in RIGHTS_INTENTS:
            out.append(rule(f"{intent} that answers nothing in {form}", [
                f"- intent: {intent}", "- action: action_form_reprompt",
                f"- action: {form}", f"- active_loop: {form}",
            ], form))  # fmt: skip
    for form, (start, submit) in RIGHTS_FORMS.items():
        out.append(rule(f"start {form}", [
            f"- intent: {start}", f"- action: {form}", f"- active_loop: {form}",
        ]))  # fmt: skip
        out.append(rule(f"finish {form}", [
            f"- action: {form}", *ended(), f"- action: {submit}", "- action: action_listen",
        ], form))  # fmt: skip
        out.append(rule(f"stop {form}", [
            "- intent: stop", "- action: action_stop_form", *ended(), "- action: action_listen",
        ], form))  # fmt: skip
        for intent, action in {**HELPDESK_QUESTIONS, **QUESTIONS}.items():
            out.append(rule(f"{intent} during {form}", [
                f"- intent: {intent}", f"- action: {action}",
                f"- action: {form}", f"- active_loop: {form}",
            ], form))  # fmt: skip
        if form == "data_export_form":  # "no thanks" to "which format?" ends it
            out.append(rule(f"no copy after all in {form}", [
                "- intent: deny", "- action: action_stop_form", *ended(), "- action: action_listen",
            ], form))  # fmt: skip
        for intent in REPROMPTED + RIGHTS_INTENTS:
            if form == "data_export_form" and intent == "deny":
                continue
            out.append(rule(f"{intent} that answers nothing in {form}", [
                f"- intent: {intent}", "- action: action_form_reprompt",
                f"- action: {form}", f"- active_loop: {form}",
            ], form))  # fmt: skip
        out.append(rule(f"a person asked for during {form}", [
            "- intent: human_handoff", "- action: action_handoff_during_form",
            *ended(), "- action: action_listen",
        ], form))  # fmt: skip
    return out


HEADER = """version: "3.1"

# GENERATED by scripts/gen_data_rights_rules.py: edit that script, not this file.
# Data protection (issue 4): questions on the Act and the privacy notice are
# answered anywhere, mid-form too; the rights forms (see their data, a copy,
# erase, withdraw consent) start, finish, stop and handle interruptions like the
# helpdesk forms (data/rules/helpdesk.yml).

rules:
"""


def main() -> None:
    OUT.write_text(HEADER + "\n\n".join(rules()) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
