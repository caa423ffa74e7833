"""Ctrl-C stops every process, and a restarted Msaidizi still has the conversation."""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.integration


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_everything_and_history_survives_a_restart(tmp_path) -> None:
    first = Stack(tmp_path)
    first.setup_database()
    first.start()
    sender = "restart-check"
    first.say(sender, "habari za asubuhi msaidizi")
    first.say(sender, "who am I chatting with, a machine?")

    assert first.stop() == 0
    children = [int(p) for p in re.findall(r"\(pid (\d+)\)", "".join(first.output))]
    assert len(children) == 3  # actions, rasa, web
    assert not any(pid_alive(pid) for pid in children), "a process outlived Ctrl-C"
    assert "[msaidizi] stopped" in "".join(first.output)

    second = Stack(
        tmp_path, rasa_port=first.rasa_port, action_port=first.action_port, web_port=first.web_port
    )
    second.start()
    try:
        print(f"\nrestart ready in {second.ready_seconds:.1f}s")
        events = second.tracker(sender)["events"]
        said = [e["text"] for e in events if e["event"] == "user"]
        assert said == ["habari za asubuhi msaidizi", "who am I chatting with, a machine?"]
        assert any(e["event"] == "bot" for e in events)
    finally:
        assert second.stop() == 0
