"""Issue 8 (c) with a real restart of the PostgreSQL server, not only its
connections cut (test_reliability.py does that on every run): the production
profile is mid-registration when PostgreSQL is stopped and started again
(``pg_ctlcluster``); no enrolment is lost and the same servers carry on, without
being restarted.

The server is shared by everything on the machine, so this runs only when
``MSAIDIZI_RESTART_POSTGRES=1`` allows it (and the cluster can be restarted from
here); otherwise it is skipped and says so.

    MSAIDIZI_RESTART_POSTGRES=1 .venv/bin/pytest tests/integration/test_postgres_restart.py -s
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from tests.integration.test_reliability import (  # noqa: F401 - the fixture
    REFERENCE,
    ProdStack,
    assert_complete_and_ordered,
    new_officer,
    new_sender,
    prod,
    says,
    text_of,
)

pytestmark = pytest.mark.integration

CLUSTER = os.environ.get("MSAIDIZI_POSTGRES_CLUSTER", "15 main")


def restart_postgres() -> float:
    """Stops and starts the cluster; returns how long it was down (seconds)."""
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", *CLUSTER.split(), "restart"], check=True, timeout=120)
    for _ in range(120):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            break
        time.sleep(0.25)
    return time.monotonic() - started


@pytest.fixture(scope="module", autouse=True)
def allowed() -> None:  # module scope: checked before the stack starts
    if os.environ.get("MSAIDIZI_RESTART_POSTGRES") != "1":
        pytest.skip("restarts the machine's shared PostgreSQL: set MSAIDIZI_RESTART_POSTGRES=1")
    if not shutil.which("pg_ctlcluster"):
        pytest.skip("pg_ctlcluster not found: cannot restart PostgreSQL from here")


def test_a_postgresql_restart_mid_registration_loses_nothing(prod: ProdStack) -> None:  # noqa: F811
    before = set(prod.enrolments())
    officer, sender = new_officer(), new_sender()
    answers = officer.answers("sw")
    down = []
    for i, message in enumerate(answers):
        if i in (4, 8):  # after consent, and before the employer
            down.append(restart_postgres())
        reply = prod.say(sender, message)
        if i == 4:
            # The form goes on where it was: the next question, not the start.
            assert says(reply, "ask_personal_number", "sw"), text_of(reply)
    [reference] = REFERENCE.findall(text_of(reply))
    after = set(prod.enrolments())
    assert before <= after, "an enrolment disappeared"
    assert after - before == {(officer.personal_number, reference)}
    events = prod.tracker(sender)["events"]
    assert_complete_and_ordered(events, answers)
    assert sum(e["event"] == "session_started" for e in events) == 1
    # The same processes served it all: nothing was restarted.
    assert "exited with code" not in prod.log(400), prod.log(60)
    print(
        f"\nPostgreSQL restarted twice mid-registration (down {down[0]:.1f} s and"
        f" {down[1]:.1f} s): {reference} stored once, every earlier enrolment"
        f" ({len(before)}) kept, no process restarted"
    )
