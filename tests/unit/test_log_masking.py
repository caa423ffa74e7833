"""Log lines keep what operators need and lose officers' contact details and
identifiers (groundwork for issue 4)."""

from __future__ import annotations

import logging

import pytest

from bot.log_masking import PersonalDataFilter, install, mask_personal_data


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("sending to jane.w@Health.go.ke now", "sending to [email] now"),
        ("phone 0712 345 678 saved", "phone [phone] saved"),
        ("phone +254-722-000-111 saved", "phone [phone] saved"),
        ("number 254110123456 ok", "number [phone] ok"),
        ("personal number 20231234 given", "personal number [number] given"),
        ("ID 12345678, email a@b.ke", "ID [number], email [email]"),
        ("text='my number is 0733410276 na email ni x.y@z.go.ke'",
         "text='my number is [phone] na email ni [email]'"),
    ],
)  # fmt: skip
def test_personal_data_is_masked(line: str, masked: str) -> None:
    assert mask_personal_data(line) == masked


@pytest.mark.parametrize(
    "line",
    [
        "enrolment KSG-7F3K9Q confirmed for cohort CLD-201-2027-03",
        "started action server (pid 1234567) on port 5055",
        "deadline 2027-02-12, fee KES 15,000, 25/25 seats",
        "request took 0.1234567 s",
        "GET http://localhost:5005/conversations/officer-123456789/tracker",
    ],
)
def test_what_operators_need_is_kept(line: str) -> None:
    assert mask_personal_data(line) == line


def test_the_filter_masks_formatted_messages_and_tracebacks(caplog) -> None:
    logger = logging.getLogger("msaidizi.test.masking")
    handler_filter = PersonalDataFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("could not reach %s at %s", "otieno@gmail.com", "0722 123 456")
        try:
            raise ValueError("bad personal number 20231234")
        except ValueError:
            logger.exception("registration failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert caplog.records[0].getMessage() == "could not reach [email] at [phone]"
    assert "20231234" not in caplog.text and "[number]" in caplog.text
    assert "otieno@gmail.com" not in caplog.text


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("\\tfull_name: Jane Wanjiku\\n\\temployer: Ministry of Health\\n",
         "\\tfull_name: [redacted]\\n\\temployer: [redacted]\\n"),
        ("SlotSet(key: full_name, value: Jane Wanjiku)", "SlotSet(key: full_name, value: [redacted])"),
        ("{'full_name': 'Jane Wanjiku', 'course': 'DGP-202'}",
         "{'full_name': '[redacted]', 'course': 'DGP-202'}"),
        ("\\tfull_name: None\\n", "\\tfull_name: None\\n"),
    ],
)  # fmt: skip
def test_name_like_slot_values_are_masked(line: str, masked: str) -> None:
    assert mask_personal_data(line) == masked


def test_install_masks_records_of_loggers_and_handlers_configured_later() -> None:
    import io

    previous = logging.getLogRecordFactory()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("msaidizi.test.install")
    try:
        install()
        install()  # idempotent: one mask, not two factories
        logger.addHandler(handler)  # added after install, as Rasa and Sanic do
        logger.warning("officer %s, phone %s", "wanjiku@ict.go.ke", "0711 222 333")
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(previous)
    assert stream.getvalue() == "officer [email], phone [phone]\n"
