"""Load benchmark of issue 8: many officers chatting with Msaidizi at once, then
the same load on a bare Rasa bot, for comparison.

In one run it

1. starts a Msaidizi stack as ``make run`` does (``python -m bot.serve`` on free
   ports, throw-away SQLite databases in a temporary folder, a private copy of
   the model so a retraining meanwhile changes nothing) -- or, with ``--target``,
   talks to a stack that is already running and starts nothing;
2. runs ``--users`` virtual officers for ``--duration`` seconds over the REST
   channel, each holding conversations back to back with a think time between
   messages: greetings, course questions, Data Protection Act questions, full
   registrations to the reference number, status checks and withdrawals, in
   English, Kiswahili and both mixed, each officer with their own personal
   number and email. Every reply is checked to be the step expected;
3. prints throughput, latency per message (p50/p95/p99) and errors by kind;
4. checks that every registration the bot confirmed is in the enrolment
   database exactly once, and that no event was lost: each conversation's
   tracker holds every message sent, in order, each followed by a bot reply;
5. loads a bare Rasa bot (``bench/bare_bot/``, trained into ``models/bench/``
   and reused while its files are unchanged) with the same users, duration and
   think time, and prints the ratio of the two p95 latencies (issue 8's target:
   Msaidizi's at most 1.5 times the bare bot's).

It exits 1 when any message failed, a confirmed registration is missing or
duplicated, or an event was lost; 2 when a server could not be started.

    .venv/bin/python bench/load.py                                # make bench
    .venv/bin/python bench/load.py --users 5 --duration 20 --skip-bare
    .venv/bin/python bench/load.py --target http://localhost:8080 \\
        --database-url postgresql://msaidizi@localhost/msaidizi --skip-bare
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RASA = str(Path(PYTHON).with_name("rasa"))
MODEL = ROOT / "models" / "msaidizi.tar.gz"
BARE_BOT = ROOT / "bench" / "bare_bot"
BARE_CACHE = ROOT / "models" / "bench"
#: The sample catalogue's deadlines are fixed dates: run on the tests' day.
CATALOGUE_TODAY = "2026-11-28"
REFERENCE = re.compile(r"\bKSG-[2-9A-HJ-NP-TV-Z]{6}\b")
#: Replies that are never the answer a step expects (unless it says so).
FAILURE_REPLIES = ("utter_default", "utter_service_unavailable", "service_unavailable")


# --------------------------------------------------------------------------
# Figures


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation between the two
    nearest ranks (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50/p95/p99, mean and max of latencies, in milliseconds (None
    without any)."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return dict.fromkeys(("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms"), None) | {
            "count": 0
        }
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(sum(ms) / len(ms), 1),
        "max_ms": round(max(ms), 1),
    }


# --------------------------------------------------------------------------
# What the bot says


def template_pattern(text: str) -> re.Pattern | None:
    """A reply text with ``{placeholders}`` as a pattern that finds it filled in,
    or None when the text is nothing but placeholders (it would match anything)."""
    parts = [p.strip() for p in re.split(r"\{[a-z_]+\}", text.strip())]
    if not any(parts):
        return None
    return re.compile("(.+?)".join(re.escape(p) for p in parts), re.S)


class Replies:
    """Recognises the bot's replies by name: domain responses (``utter_…``,
    both languages) and the reply catalogue's keys (``bot/replies/*.yml``)."""

    def __init__(self, texts: dict[str, list[str]]) -> None:
        self.patterns = {
            name: [p for p in map(template_pattern, variants) if p]
            for name, variants in texts.items()
        }

    @classmethod
    def of_domain(cls, domain: Path, catalogue: dict | None = None) -> Replies:
        texts: dict[str, list[str]] = defaultdict(list)
        paths = sorted(domain.rglob("*.yml")) if domain.is_dir() else [domain]
        for path in paths:
            responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses")
            for name, variants in (responses or {}).items():
                texts[name] += [v["text"] for v in variants if v.get("text")]
        for key, by_language in (catalogue or {}).items():
            texts[key] += [t for t in by_language.values() if isinstance(t, str)]
        return cls(texts)

    def says(self, text: str, name: str) -> bool:
        """Whether ``text`` holds reply ``name``; a name ending in ``/`` stands for
        every response under it (``utter_data_protection/``)."""
        names = [n for n in self.patterns if n.startswith(name)] if name.endswith("/") else [name]
        if not names or any(n not in self.patterns for n in names):
            raise KeyError(f"no reply named {name!r}")
        return any(p.search(text) for n in names for p in self.patterns[n])


def all_text(messages: Iterable[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def button_payloads(messages: Iterable[dict]) -> list[str]:
    return [b.get("payload") or "" for m in messages for b in m.get("buttons") or []]


@dataclass(frozen=True)
class Expect:
    """What a reply must be: any one of ``replies`` (names, see :class:`Replies`)
    and every string in ``contains``. A reply that is a fallback or "service
    unavailable" never passes unless named."""

    replies: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()

    def problem(self, messages: list[dict], known: Replies) -> str | None:
        """None when the reply is as expected, else what is wrong with it."""
        text = all_text(messages)
        for failure in FAILURE_REPLIES:
            unwanted = failure not in self.replies and failure in known.patterns
            if unwanted and known.says(text, failure):
                return f"got {failure}"
        if self.replies and not any(known.says(text, name) for name in self.replies):
            return f"expected {' or '.join(self.replies)}"
        missing = [c for c in self.contains if c not in text]
        if missing:
            return f"expected {', '.join(missing)} in the reply"
        return None


def expect(*replies: str, contains: Iterable[str] = ()) -> Expect:
    return Expect(tuple(replies), tuple(contains))


# --------------------------------------------------------------------------
# Running conversations


class DeadlineReached(Exception):
    """The run is over: the conversation stops where it is (not an error)."""


class StepFailed(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


@dataclass
class Conversation:
    sender: str
    scenario: str
    sent: list[str] = field(default_factory=list)  # answered with HTTP 200, in order
    transport_error: bool = False  # a message whose fate is unknown (timeout, 5xx)


@dataclass
class Registration:
    sender: str
    personal_number: str
    course: str
    cohort: str
    reference: str | None = None
    status: str | None = None  # as the bot announced it
    #: None, "done" (the bot said so) or "unknown" (asked, no clear answer).
    withdrawal: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.reference) and self.withdrawal is None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    latencies_by_step: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[dict] = field(default_factory=list)
    completed: Counter = field(default_factory=Counter)
    cut_at_end: int = 0
    conversations: list[Conversation] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    def error(self, kind: str, conversation: Conversation, step: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(
                {"kind": kind, "sender": conversation.sender, "step": step, "detail": detail[:300]}
            )


class Client:
    """Sends one officer's messages over the REST channel and checks each reply."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        known: Replies,
        stats: Stats,
        deadline: float,
        think: float,
        timeout: float,
        rng: random.Random,
    ) -> None:
        self.session, self.url, self.known, self.stats = session, url, known, stats
        self.deadline, self.think, self.timeout, self.rng = deadline, think, timeout, rng

    async def pause(self) -> None:
        """Think time: between half and one and a half times ``think``."""
        if self.think > 0:
            await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def say(
        self, conversation: Conversation, text: str, wanted: Expect | None, step: str
    ) -> list[dict]:
        """Sends ``text`` after the think time; returns the bot's messages, or raises
        :class:`StepFailed` (recorded) or :class:`DeadlineReached`."""
        if conversation.sent:
            await self.pause()
        if time.monotonic() >= self.deadline:
            raise DeadlineReached
        started = time.perf_counter()
        try:
            async with self.session.post(
                f"{self.url}/webhooks/rest/webhook",
                json={"sender": conversation.sender, "message": text},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                body = await response.read()
                status = response.status
        except asyncio.TimeoutError:
            conversation.transport_error = True
            return self.fail("timeout", conversation, step, f"no reply in {self.timeout:g}s")
        except aiohttp.ClientError as error:
            conversation.transport_error = True
            return self.fail("connection", conversation, step, repr(error))
        elapsed = time.perf_counter() - started
        self.stats.latencies.append(elapsed)
        self.stats.latencies_by_step[step].append(elapsed)
        if status != 200:
            conversation.transport_error = True
            detail = body[:200].decode(errors="replace")
            return self.fail(f"http_{status}", conversation, step, detail)
        conversation.sent.append(text)
        try:
            messages = json.loads(body)
        except ValueError:
            return self.fail("not_json", conversation, step, body[:200].decode(errors="replace"))
        if not messages:
            return self.fail("empty_reply", conversation, step, f"nothing after {text!r}")
        problem = wanted.problem(messages, self.known) if wanted else None
        if problem:
            detail = f"{problem} after {text!r}, got {all_text(messages)[:200]!r}"
            return self.fail("unexpected_reply", conversation, step, detail)
        return messages

    def fail(self, kind: str, conversation: Conversation, step: str, detail: str) -> list[dict]:
        self.stats.error(kind, conversation, step, detail)
        raise StepFailed(kind, detail)


# --------------------------------------------------------------------------
# The officers: who they are and what they say

FIRST_NAMES = [
    "Halima", "Wanjiru", "Achieng", "Kevin", "Brian", "Mwanaisha", "Joseph", "Ruth",
    "Peter", "Amina", "Samuel", "Zawadi", "Faith", "Dennis", "Nafula", "Otieno",
    "Grace", "Kiprop", "Mercy", "Hassan",
]  # fmt: skip
MIDDLE_NAMES = [
    "Abdi", "Njeri", "Wairimu", "Juma", "Chebet", "Mutua", "Atieno", "Kiprono",
    "Wambui", "Omondi", "Jepkosgei", "Kamau",
]  # fmt: skip
LAST_NAMES = [
    "Hussein", "Bakari", "Were", "Koech", "Kariuki", "Langat", "Njoroge", "Kilonzo",
    "Odhiambo", "Ouma", "Mwangi", "Wekesa", "Mohamed", "Rotich", "Nyambura", "Mutiso",
]  # fmt: skip
EMAIL_DOMAINS = [
    "treasury.go.ke", "health.go.ke", "interior.go.ke", "kilifi.go.ke", "agri.go.ke",
    "lands.go.ke", "transport.go.ke", "kisumu.go.ke", "water.go.ke", "gmail.com",
]  # fmt: skip
EMPLOYERS = {
    "en": [
        "National Treasury", "Ministry of Health", "Ministry of Interior",
        "Ministry of Lands", "State Department for Transport", "Ministry of Water",
        "I work at the Ministry of Agriculture", "Kenya Revenue Authority",
    ],
    "sw": [
        "Serikali ya Kaunti ya Kilifi", "Kaunti ya Kisumu", "Wizara ya Afya",
        "Wizara ya Kilimo", "Serikali ya Kaunti ya Nakuru",
    ],
}  # fmt: skip

JOB_GROUPS = "ABCDEFGHJKLMNPQRSTU"  # no I or O (contract §5)


@dataclass(frozen=True)
class CourseToRegister:
    """A course an officer registers for: how they name it and who may take it
    (from data/catalogue/courses.yml)."""

    code: str
    openings: dict[str, tuple[str, ...]]  # language -> first messages
    job_groups: str  # letters that are eligible
    prerequisite: bool = False  # asks "have you completed …?"
    nomination: bool = False  # asks "have you been nominated?"


COURSES = (
    CourseToRegister(
        "DGP-202",
        {
            "en": ("I'd like to enrol in DGP 202 please", "register me for DGP-202"),
            "sw": ("nataka kujisajili kozi ya DGP-202",),
            "mixed": ("nataka ku-register for DGP 202",),
        },
        "KLMNPQRSTU",
    ),
    CourseToRegister(
        "DLF-101",
        {
            "en": ("I want to register for digital literacy foundations",),
            "sw": ("nisajili kwa kozi ya DLF-101 tafadhali",),
            "mixed": ("naomba ku-enrol DLF 101",),
        },
        "DEFGHJKLMN",
    ),
    CourseToRegister(
        "DSD-203",
        {
            "en": ("sign me up for DSD-203",),
            "sw": ("nataka kujisajili DSD 203", "nisajili kozi ya huduma za kidijitali"),
        },
        "KLMNP",
    ),
    CourseToRegister(
        "DPM-204",
        {
            "en": ("I want to apply for the digital project management course",),
            "sw": ("nataka kujisajili kozi ya usimamizi wa miradi",),
        },
        "LMNPQR",
    ),
    CourseToRegister(
        "CLD-201",
        {
            "en": ("register me for Cloud Computing Fundamentals",),
            "sw": ("ningependa kujisajili kozi ya cloud",),
        },
        "JKLMNPQR",
        prerequisite=True,
    ),
    CourseToRegister(
        "AIP-201",
        {
            "en": ("I would like to register for AIP-201",),
            "sw": ("nataka kujisajili kozi ya akili bandia",),
        },
        "KLMNPQR",
        prerequisite=True,
    ),
    CourseToRegister(
        "CSE-201",
        {
            "en": ("please register me for the cybersecurity course",),
            "mixed": ("nataka ku-register CSE-201",),
        },
        "JKLMNPQR",
        prerequisite=True,
    ),
)

JOB_GROUP_ANSWERS = {
    "en": ("I'm job group {g}", "JG {g}", "my group is JG {g}"),
    "sw": ("kundi la kazi {g}", "kundi langu la kazi ni {g}"),
}
JOB_GROUP_ANSWERS["mixed"] = JOB_GROUP_ANSWERS["sw"] + ("JG {g}",)
PERSONAL_NUMBER_ANSWERS = {"en": ("{pn}", "PN {pn}", "my personal number is {pn}"), "sw": ("{pn}",)}
YES = {"en": ("/affirm",), "sw": ("/affirm", "ndiyo"), "mixed": ("/affirm",)}
CONSENT = {"en": ("/affirm", "yes, I agree"), "sw": ("/affirm", "ndiyo nakubali")}
PREREQUISITE_DONE = {"en": ("/affirm", "yes I have done it"), "sw": ("ndio nimeimaliza",)}

GREETINGS = {
    "en": ("hello", "good morning", "hi there"),
    "sw": ("habari", "hujambo", "habari za asubuhi"),
    "mixed": ("sasa, good morning", "niaje"),
}
SMALL_TALK = {
    "en": (
        ("what can you do?", "utter_help"),
        ("are you a robot?", "utter_iamabot"),
        ("thank you", "utter_you_are_welcome"),
    ),
    "sw": (
        ("unaweza kunisaidia na nini?", "utter_help"),
        ("wewe ni mtu au roboti?", "utter_iamabot"),
        ("asante sana", "utter_you_are_welcome"),
    ),
}
GOODBYES = {"en": ("bye", "goodbye"), "sw": ("kwaheri", "tutaonana")}
COURSE_LISTS = {
    "en": ("which courses do you offer?", "what courses are available?"),
    "sw": ("mna kozi zipi za kidijitali kwa sasa?", "kozi gani zinapatikana?"),
    "mixed": ("niambie courses zenu zote",),
}
#: (question, follow-up in context, the course code both answers name)
COURSE_QUESTIONS = {
    "en": (
        ("how long is the cybersecurity course?", "and where is it held?", "CSE-201"),
        ("is CLD-201 online?", "how many seats are left?", "CLD-201"),
        ("how much does the data protection course cost?", "who pays the fee?", "DGP-202"),
        ("what are the prerequisites for AIP 201", "when does it start?", "AIP-201"),
    ),
    "sw": (
        ("kozi ya akili bandia huchukua wiki ngapi?", "na inaanza lini hiyo?", "AIP-201"),
        ("kozi ya usalama wa mtandao inafanyika wapi?", "ada ni kiasi gani?", "CSE-201"),
        ("nieleze kuhusu kozi ya kompyuta ya wingu", "ni ya wiki ngapi?", "CLD-201"),
    ),
    "mixed": (
        ("DPM-204 iko online ama in person?", "na fee ni ngapi?", "DPM-204"),
        ("hiyo DSD 203 ni ya wiki ngapi?", "inafanyika wapi?", "DSD-203"),
    ),
}
DPA_QUESTIONS = {
    "en": (
        "what is the data protection act?",
        "how soon must a data breach be reported?",
        "what rights do people have over their personal data in Kenya?",
        "can my employer share my data with a partner company?",
        "how long can an organisation keep personal data?",
    ),
    "sw": (
        "sheria ya ulinzi wa data ni nini?",
        "data binafsi ni nini hasa kwa mujibu wa sheria?",
        "ni haki gani ambazo sheria ya ulinzi wa data inampa kila mtu?",
    ),
    "mixed": (
        "hii data protection act inahusu nini?",
        "data breach inafaa kuripotiwa baada ya muda gani?",
    ),
}
STATUS_QUESTIONS = {
    "en": ("check my registration status", "where is my application?"),
    "sw": ("hali ya usajili wangu ikoje?", "naomba kujua hali ya usajili wangu"),
}
OWN_STATUS_QUESTIONS = {
    "en": ("has my registration been confirmed yet?",),
    "sw": ("je, usajili wangu umethibitishwa?",),
}
WITHDRAW_REQUESTS = {
    "en": ("cancel my registration", "I can no longer attend, please withdraw me"),
    "sw": ("naomba kujiondoa kwenye kozi niliyojiandikisha",),
}


def language_set(texts: dict[str, Any], language: str) -> Any:
    """The texts for ``language``; mixed falls back to Kiswahili (code-switched
    text counts as Kiswahili, contract §4), Kiswahili to English."""
    for candidate in (language, "sw" if language == "mixed" else "en", "en"):
        if candidate in texts:
            return texts[candidate]
    raise KeyError(language)


class Officer:
    """A virtual officer: chats with Msaidizi until the run ends, remembering the
    registrations they made (for status checks and withdrawals)."""

    LANGUAGES = (("en", 0.45), ("sw", 0.35), ("mixed", 0.20))

    def __init__(self, number: int, run_tag: str, client: Client, stats: Stats) -> None:
        self.number, self.run_tag, self.client, self.stats = number, run_tag, client, stats
        self.rng = client.rng
        self.conversations = 0
        self.registrations: list[Registration] = []

    # -- data -------------------------------------------------------------

    def pick(self, options: Sequence[Any]) -> Any:
        return self.rng.choice(list(options))

    def language(self) -> str:
        languages, weights = zip(*self.LANGUAGES, strict=True)
        return self.rng.choices(languages, weights)[0]

    def personal_number(self) -> str:
        """Unique in this run and very likely across runs: the run's 4-digit tag,
        then this officer's number and a count (10 digits, ``^\\d{6,10}$``)."""
        return f"{self.run_tag}{self.number:03d}{len(self.registrations):03d}"

    def new_conversation(self, scenario: str) -> Conversation:
        self.conversations += 1
        conversation = Conversation(
            f"bench-{self.run_tag}-{self.number:03d}-{self.conversations:03d}", scenario
        )
        self.stats.conversations.append(conversation)
        return conversation

    async def say(
        self, conversation: Conversation, text: str, wanted: Expect | None, step: str
    ) -> list[dict]:
        return await self.client.say(conversation, text, wanted, step)

    # -- conversations ----------------------------------------------------

    def next_scenario(self) -> Callable[[], Awaitable[None]]:
        """The mix: mostly questions, a third registrations; status checks and
        withdrawals only for an officer who has registered."""
        active = [r for r in self.registrations if r.active]
        mix = [
            (self.greeting, 15),
            (self.course_questions, 25),
            (self.data_protection, 15),
            (self.registration, 30),
            (self.status_check, 10 if active else 0),
            (self.withdrawal, 5 if active else 0),
        ]
        scenarios, weights = zip(*mix, strict=True)
        return self.rng.choices(scenarios, weights)[0]

    async def greeting(self) -> None:
        lang = self.language()
        conversation = self.new_conversation("greeting")
        await self.say(conversation, self.pick(GREETINGS[lang]), expect("utter_greet"), "greeting")
        for text, response in self.rng.sample(list(language_set(SMALL_TALK, lang)), 2):
            await self.say(conversation, text, expect(response), "small_talk")
        await self.say(
            conversation,
            self.pick(language_set(GOODBYES, lang)),
            expect("utter_goodbye"),
            "goodbye",
        )

    async def course_questions(self) -> None:
        lang = self.language()
        conversation = self.new_conversation("course_questions")
        await self.say(
            conversation,
            self.pick(language_set(COURSE_LISTS, lang)),
            expect("course_list_intro"),
            "course_list",
        )
        question, follow_up, code = self.pick(language_set(COURSE_QUESTIONS, lang))
        await self.say(conversation, question, expect(contains=[code]), "course_details")
        await self.say(conversation, follow_up, expect(contains=[code]), "course_details")

    async def data_protection(self) -> None:
        lang = self.language()
        conversation = self.new_conversation("data_protection")
        for question in self.rng.sample(list(language_set(DPA_QUESTIONS, lang)), 2):
            await self.say(
                conversation, question, expect("utter_data_protection/"), "data_protection"
            )

    async def registration(self) -> None:
        """The whole registration form, as tests/integration/test_helpdesk.py walks
        it: course, job group, (prerequisite), intake, consent, five details,
        summary, confirmation -- then, sometimes, the status from the same chat."""
        lang = self.language()
        course: CourseToRegister = self.pick(COURSES)
        conversation = self.new_conversation("registration")
        openings = course.openings.get(lang) or language_set(course.openings, lang)
        await self.say(
            conversation,
            self.pick(openings),
            expect("ask_registration_form_job_group", contains=[course.code]),
            "reg_course",
        )
        after_job_group = "ask_prerequisite_declared" if course.prerequisite else "ask_cohort"
        if course.nomination:
            after_job_group = "ask_nominated"
        group = self.pick(course.job_groups)
        reply = await self.say(
            conversation,
            self.pick(language_set(JOB_GROUP_ANSWERS, lang)).format(g=group),
            expect(after_job_group),
            "reg_job_group",
        )
        if course.prerequisite:
            reply = await self.say(
                conversation,
                self.pick(language_set(PREREQUISITE_DONE, lang)),
                expect("ask_cohort"),
                "reg_prerequisite",
            )
        cohorts = [p for p in button_payloads(reply) if p.startswith('/inform{"cohort"')]
        if not cohorts:
            self.client.fail("unexpected_reply", conversation, "reg_cohort", "no intake offered")
        choice = self.pick(cohorts)
        cohort = json.loads(choice[len("/inform") :])["cohort"]
        await self.say(conversation, choice, expect("ask_consent"), "reg_cohort")
        await self.say(
            conversation,
            self.pick(language_set(CONSENT, lang)),
            expect("ask_full_name"),
            "reg_consent",
        )
        first, middle, last = (
            self.pick(FIRST_NAMES),
            self.pick(MIDDLE_NAMES),
            self.pick(LAST_NAMES),
        )
        name = f"{first} {middle} {last}" if self.rng.random() < 0.6 else f"{first} {last}"
        personal_number = self.personal_number()
        registration = Registration(conversation.sender, personal_number, course.code, cohort)
        self.registrations.append(registration)
        email = f"{first}.{last}{personal_number[-5:]}@{self.pick(EMAIL_DOMAINS)}".lower()
        digits = f"{self.rng.randrange(10**7):07d}"
        phone = f"07{self.pick('129')}{digits[:1]} {digits[1:4]} {digits[4:]}"
        details = [
            (name, "ask_personal_number"),
            (
                self.pick(language_set(PERSONAL_NUMBER_ANSWERS, lang)).format(pn=personal_number),
                "ask_email",
            ),
            (email, "ask_phone_number"),
            (phone, "ask_employer"),
            (self.pick(language_set(EMPLOYERS, lang)), "summary_question"),
        ]
        for text, next_question in details:
            await self.say(conversation, text, expect(next_question), "reg_details")
        self.stats.registrations.append(registration)  # submitted from here on...
        try:
            done = await self.say(
                conversation,
                "/affirm",
                expect(
                    "registered_confirmed", "registered_waitlisted", "registered_pending_nomination"
                ),
                "reg_submit",
            )
        except DeadlineReached:  # ...unless the run ended first
            self.stats.registrations.remove(registration)
            raise
        text = all_text(done)
        found = REFERENCE.search(text)
        if not found:
            self.client.fail("unexpected_reply", conversation, "reg_submit", "no reference")
        registration.reference = found.group(0)
        registration.status = next(
            status
            for status, key in (
                ("confirmed", "registered_confirmed"),
                ("waitlisted", "registered_waitlisted"),
                ("pending_nomination", "registered_pending_nomination"),
            )
            if self.client.known.says(text, key)
        )
        if self.rng.random() < 0.3:
            await self.say(
                conversation,
                self.pick(language_set(OWN_STATUS_QUESTIONS, lang)),
                expect("status_intro", contains=[registration.reference]),
                "status_own_chat",
            )

    async def status_check(self) -> None:
        """From a new chat: proof by personal number and reference."""
        lang = self.language()
        registration = self.pick([r for r in self.registrations if r.reference])
        conversation = self.new_conversation("status_check")
        await self.say(
            conversation,
            self.pick(language_set(STATUS_QUESTIONS, lang)),
            expect("ask_status_form_personal_number"),
            "status_ask",
        )
        await self.say(
            conversation, registration.personal_number, expect("ask_reference"), "status_proof"
        )
        await self.say(
            conversation,
            registration.reference.lower().replace("-", " ")
            if self.rng.random() < 0.3
            else registration.reference,
            expect("status_intro", contains=[registration.reference]),
            "status_proof",
        )

    async def withdrawal(self) -> None:
        """From a new chat: proof, then the registration withdrawn and confirmed."""
        lang = self.language()
        registration = self.pick([r for r in self.registrations if r.active])
        conversation = self.new_conversation("withdrawal")
        await self.say(
            conversation,
            self.pick(language_set(WITHDRAW_REQUESTS, lang)),
            expect("ask_status_form_personal_number", "ask_personal_number"),
            "withdraw_ask",
        )
        await self.say(
            conversation, registration.personal_number, expect("ask_reference"), "withdraw_proof"
        )
        await self.say(
            conversation,
            registration.reference,
            expect("ask_withdraw_confirmed", contains=[registration.reference]),
            "withdraw_proof",
        )
        try:
            await self.say(
                conversation,
                "/affirm",
                expect("withdrawn", contains=[registration.reference]),
                "withdraw_confirm",
            )
        except StepFailed:
            registration.withdrawal = "unknown"
            raise
        registration.withdrawal = "done"


# --------------------------------------------------------------------------
# The bare Rasa bot's officers


class BareUser:
    """A virtual user of the bare bot: its few intents, same pace."""

    def __init__(self, number: int, run_tag: str, client: Client, stats: Stats) -> None:
        self.number, self.run_tag, self.client, self.stats = number, run_tag, client, stats
        self.rng = client.rng
        self.conversations = 0

    def next_scenario(self) -> Callable[[], Awaitable[None]]:
        return self.chat

    async def chat(self) -> None:
        self.conversations += 1
        conversation = Conversation(
            f"bare-{self.run_tag}-{self.number:03d}-{self.conversations:03d}", "bare"
        )
        self.stats.conversations.append(conversation)
        rng = self.rng

        async def say(text: str, *names: str) -> None:
            await self.client.say(conversation, text, expect(*names), "bare")

        if rng.random() < 0.2:
            await say(rng.choice(["are you a bot?", "am I talking to a human?"]), "utter_iamabot")
        await say(rng.choice(["hello", "hi there", "good morning"]), "utter_greet")
        if rng.random() < 0.5:
            await say(rng.choice(["I am great", "very well, thank you"]), "utter_happy")
        else:
            await say(rng.choice(["I am sad", "not very good"]), "utter_did_that_help")
            if rng.random() < 0.5:
                await say(rng.choice(["yes", "yes it did"]), "utter_happy")
            else:
                await say(rng.choice(["no", "not really"]), "utter_goodbye")
                return
        await say(rng.choice(["bye", "see you later"]), "utter_goodbye")


# --------------------------------------------------------------------------
# A load run


async def run_load(
    url: str,
    known: Replies,
    make_user: Callable[[int, str, Client, Stats], Officer | BareUser],
    *,
    users: int,
    duration: float,
    ramp: float,
    think: float,
    timeout: float,
    seed: int,
    run_tag: str,
) -> Stats:
    """``users`` virtual users, started evenly over ``ramp`` seconds, each holding
    conversations back to back until ``duration`` seconds after the start."""
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        stats.started = time.monotonic()
        deadline = stats.started + duration

        async def one(number: int) -> None:
            rng = random.Random(f"{seed}-{number}")
            client = Client(session, url, known, stats, deadline, think, timeout, rng)
            user = make_user(number, run_tag, client, stats)
            if ramp > 0:
                await asyncio.sleep(ramp * number / users)
            while time.monotonic() < deadline:
                scenario = user.next_scenario()
                try:
                    await scenario()
                    stats.completed[scenario.__name__] += 1
                except DeadlineReached:
                    stats.cut_at_end += 1
                except StepFailed:
                    pass  # recorded; the officer starts afresh
                await client.pause()

        await asyncio.gather(*(one(n) for n in range(users)))
        stats.finished = time.monotonic()
    return stats


async def warm_up(url: str, messages: Sequence[str], timeout: float) -> None:
    """A few messages before measuring, so first-use costs (TensorFlow's first
    call, connection pools) fall outside the figures -- for both bots alike."""
    async with aiohttp.ClientSession() as session:
        for number, text in enumerate(messages):
            try:
                async with session.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": f"bench-warm-up-{number}", "message": text},
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as response:
                    await response.read()
                    response.raise_for_status()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                raise ServerFailed(f"{url} does not answer: {error!r}") from None


def load_figures(stats: Stats) -> dict[str, Any]:
    elapsed = max(stats.finished - stats.started, 1e-9)
    completed = sum(stats.completed.values())
    return {
        "elapsed_s": round(elapsed, 1),
        "messages": len(stats.latencies),
        "messages_per_s": round(len(stats.latencies) / elapsed, 2),
        "conversations_completed": completed,
        "conversations_per_s": round(completed / elapsed, 3),
        "conversations_by_scenario": dict(sorted(stats.completed.items())),
        "conversations_cut_at_end": stats.cut_at_end,
        "latency": latency_summary(stats.latencies),
        "latency_by_step": {
            step: latency_summary(values)
            for step, values in sorted(stats.latencies_by_step.items())
        },
        "errors": sum(stats.errors.values()),
        "errors_by_kind": dict(sorted(stats.errors.items())),
        "error_samples": stats.error_samples,
    }


# --------------------------------------------------------------------------
# Checks after the run


def tracker_problems(sent: Sequence[str], events: Sequence[dict]) -> dict[str, int]:
    """Compares the messages sent in a conversation with its tracker's events:
    ``lost`` sent messages without their UserUttered (in order), ``unanswered``
    user events with no bot message before the next one, ``unexpected`` user
    events that were not sent."""
    turns: list[tuple[str, bool]] = []  # (text, answered)
    for event in events:
        if event.get("event") == "user":
            turns.append((event.get("text") or "", False))
        elif event.get("event") == "bot" and turns:
            turns[-1] = (turns[-1][0], True)
    lost = unanswered = 0
    position = 0
    for text in sent:
        found = next((i for i in range(position, len(turns)) if turns[i][0] == text), None)
        if found is None:
            lost += 1
            continue
        if not turns[found][1]:
            unanswered += 1
        position = found + 1
    matched = len(sent) - lost
    return {"lost": lost, "unanswered": unanswered, "unexpected": len(turns) - matched}


async def check_trackers(
    url: str, conversations: Sequence[Conversation], sample: int, seed: int, timeout: float
) -> dict[str, Any]:
    """Reads each (or a sample of) conversation's tracker over the HTTP API."""
    checkable = [c for c in conversations if c.sent and not c.transport_error]
    if 0 < sample < len(checkable):
        checkable = random.Random(seed).sample(checkable, sample)
    totals: Counter = Counter()
    failures: list[dict] = []
    semaphore = asyncio.Semaphore(4)

    async with aiohttp.ClientSession() as session:

        async def one(conversation: Conversation) -> None:
            async with semaphore:
                try:
                    async with session.get(
                        f"{url}/conversations/{conversation.sender}/tracker",
                        timeout=aiohttp.ClientTimeout(total=timeout),
                    ) as response:
                        response.raise_for_status()
                        tracker = await response.json()
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    totals["unreadable"] += 1
                    failures.append({"sender": conversation.sender, "error": repr(error)})
                    return
            found = tracker_problems(conversation.sent, tracker.get("events") or [])
            totals.update(found)
            totals["messages"] += len(conversation.sent)
            if any(found.values()) and len(failures) < 20:
                failures.append({"sender": conversation.sender, **found})

        await asyncio.gather(*(one(c) for c in checkable))
    return {
        "conversations_checked": len(checkable),
        "conversations_not_checked": len(conversations) - len(checkable),
        "messages_checked": totals["messages"],
        "lost_events": totals["lost"],
        "unanswered": totals["unanswered"],
        "unexpected_user_events": totals["unexpected"],
        "unreadable_trackers": totals["unreadable"],
        "failures": failures,
    }


def check_enrolments(database_url: str, registrations: Sequence[Registration]) -> dict[str, Any]:
    """Every registration the bot confirmed (a reference was shown) is in the
    enrolment database exactly once, for that officer and intake; registrations
    submitted without an answer (a timeout) are counted if they were stored."""
    from sqlalchemy import select

    from bot.db.engine import create_sync_engine, session_factory
    from bot.db.models import Cohort, Enrolment, Officer

    by_number = {r.personal_number: r for r in registrations}
    rows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    engine = create_sync_engine(database_url)
    try:
        with session_factory(engine)() as session:
            numbers = list(by_number)
            for start in range(0, len(numbers), 500):
                query = (
                    select(
                        Officer.personal_number, Enrolment.reference, Cohort.code, Enrolment.status
                    )
                    .join(Enrolment, Enrolment.officer_id == Officer.id)
                    .join(Cohort, Cohort.id == Enrolment.cohort_id)
                    .where(Officer.personal_number.in_(numbers[start : start + 500]))
                )
                for number, reference, cohort, status in session.execute(query):
                    rows[number].append((reference, cohort, getattr(status, "value", status)))
    finally:
        engine.dispose()
    confirmed = [r for r in registrations if r.reference]
    result: Counter = Counter()
    problems: list[dict] = []
    for registration in confirmed:
        stored = rows.get(registration.personal_number, [])
        same = [row for row in stored if row[0] == registration.reference]
        if not same:
            result["missing"] += 1
            kind = "missing"
        elif len(stored) > 1:
            result["duplicated"] += 1
            kind = "duplicated"
        elif same[0][1] != registration.cohort:
            result["wrong_intake"] += 1
            kind = "wrong_intake"
        else:
            result["exactly_once"] += 1
            status = same[0][2]
            expected = {registration.status}
            if registration.status == "waitlisted":  # promoted when someone withdraws
                expected.add("confirmed")
            if registration.withdrawal == "done":
                expected = {"withdrawn"}
            elif registration.withdrawal == "unknown":
                expected.add("withdrawn")
            if status not in expected:
                result["status_differs"] += 1
                kind = f"status {status}, expected {' or '.join(sorted(expected))}"
            else:
                continue
        if len(problems) < 20:
            problems.append(
                {
                    "reference": registration.reference,
                    "sender": registration.sender,
                    "problem": kind,
                }
            )
    unanswered = [r for r in registrations if not r.reference]
    return {
        "confirmed_by_bot": len(confirmed),
        "confirmed_by_status": dict(Counter(r.status for r in confirmed)),
        "withdrawn_by_bot": sum(r.withdrawal == "done" for r in confirmed),
        "in_database_exactly_once": result["exactly_once"],
        "missing": result["missing"],
        "duplicated": result["duplicated"],
        "wrong_intake": result["wrong_intake"],
        "status_differs": result["status_differs"],
        "submitted_without_confirmation": len(unanswered),
        "of_which_stored": sum(1 for r in unanswered if rows.get(r.personal_number)),
        "problems": problems,
    }


# --------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerFailed(Exception):
    pass


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "".join(path.read_text(errors="replace").splitlines(True)[-lines:])
    except OSError:
        return ""


class Process:
    """A server we started: output to a log file, stopped with SIGINT (as an
    operator's Ctrl-C), killed only if it does not stop."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_for(self, ready: Callable[[], bool], what: str, timeout: float) -> float:
        started = time.monotonic()
        while not ready():
            if self.popen.poll() is not None:
                raise ServerFailed(f"{what} exited ({self.popen.returncode}):\n{tail(self.log)}")
            if time.monotonic() - started > timeout:
                self.stop()
                raise ServerFailed(f"{what} not ready in {timeout:.0f}s:\n{tail(self.log)}")
            time.sleep(0.5)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGINT)
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def start_msaidizi(
    workdir: Path, model: Path, database_url: str, tracker_url: str
) -> tuple[Process, str]:
    """``python -m bot.db setup`` then ``python -m bot.serve`` on free ports, as
    tests/conftest.py's Stack does; returns the process and the Rasa URL."""
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update(
        RASA_PORT=str(rasa_port),
        ACTION_SERVER_PORT=str(action_port),
        WEB_PORT=str(web_port),
        RASA_PUBLIC_URL=f"http://localhost:{rasa_port}",
        ACTION_ENDPOINT_URL=f"http://localhost:{action_port}/webhook",
        DATABASE_URL=database_url,
        TRACKER_STORE_URL=tracker_url,
        MODEL_PATH=str(model),
        CATALOGUE_TODAY=CATALOGUE_TODAY,
        RASA_TELEMETRY_ENABLED="false",
    )
    setup = subprocess.run(
        [PYTHON, "-m", "bot.db", "setup"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if setup.returncode:
        raise ServerFailed(f"python -m bot.db setup failed:\n{setup.stdout}{setup.stderr}")
    log = workdir / "msaidizi.log"
    process = Process([PYTHON, "-m", "bot.serve"], env, ROOT, log)
    seconds = process.wait_for(
        lambda: "[msaidizi] ready" in log.read_text(errors="replace"), "Msaidizi", 300
    )
    print(f"  Msaidizi ready in {seconds:.0f}s on port {rasa_port}", flush=True)
    return process, f"http://localhost:{rasa_port}"


def bare_model_digest() -> str:
    """What the bare bot's model depends on: its files and Rasa's version."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in sorted(p for p in BARE_BOT.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(BARE_BOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def bare_model(retrain: bool = False) -> Path:
    """The bare bot's model, trained once into models/bench/ (git-ignored there by
    its own .gitignore) and reused while its inputs are unchanged."""
    BARE_CACHE.mkdir(parents=True, exist_ok=True)
    (BARE_CACHE / ".gitignore").write_text("# bench/load.py's trained models and cache\n*\n")
    name = f"bare-{bare_model_digest()}"
    model = BARE_CACHE / f"{name}.tar.gz"
    if model.exists() and not retrain:
        print(f"  bare bot: reusing {model.relative_to(ROOT)}", flush=True)
        return model
    print("  bare bot: training (its files changed or no model yet) ...", flush=True)
    for old in BARE_CACHE.glob("bare-*.tar.gz"):
        old.unlink()
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    # Its own training cache: never shares (or locks) Msaidizi's .rasa/cache.
    env["RASA_CACHE_DIRECTORY"] = str(BARE_CACHE / "cache")
    log = BARE_CACHE / "train.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        trained = subprocess.run(
            [
                RASA, "train", "--config", str(BARE_BOT / "config.yml"),
                "--domain", str(BARE_BOT / "domain.yml"), "--data", str(BARE_BOT / "data"),
                "--out", str(BARE_CACHE), "--fixed-model-name", name, "--num-threads", "2",
            ],
            cwd=BARE_CACHE, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    if trained.returncode or not model.exists():
        raise ServerFailed(f"training the bare bot failed:\n{tail(log)}")
    print(f"  bare bot: trained in {time.monotonic() - started:.0f}s", flush=True)
    return model


def start_bare(workdir: Path, model: Path) -> tuple[Process, str]:
    """``rasa run --enable-api`` on the bare model: REST channel, in-memory
    tracker store, no action server."""
    port = free_port()
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    url = f"http://localhost:{port}"
    process = Process(
        [
            RASA, "run", "--enable-api", "--model", str(model), "--port", str(port),
            "--credentials", str(BARE_BOT / "credentials.yml"),
        ],
        env, workdir, workdir / "bare.log",
    )  # fmt: skip

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
        except OSError:
            return False
        return "up and running" in (workdir / "bare.log").read_text(errors="replace")

    seconds = process.wait_for(ready, "the bare Rasa bot", 300)
    print(f"  bare bot ready in {seconds:.0f}s on port {port}", flush=True)
    return process, url


# --------------------------------------------------------------------------
# Report


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.0f} ms"


def print_load(title: str, figures: dict[str, Any]) -> None:
    latency = figures["latency"]
    print(f"\n== {title}")
    print(
        f"  messages: {figures['messages']:,} in {figures['elapsed_s']:.0f}s"
        f" = {figures['messages_per_s']:.1f}/s;"
        f" conversations completed: {figures['conversations_completed']:,}"
        f" = {figures['conversations_per_s']:.2f}/s"
        f" ({figures['conversations_cut_at_end']} cut at the end)"
    )
    if len(figures["conversations_by_scenario"]) > 1:
        mix = ", ".join(f"{k} {v}" for k, v in figures["conversations_by_scenario"].items())
        print(f"  completed by kind: {mix}")
    print(
        f"  latency per message: p50 {fmt_ms(latency['p50_ms'])}, p95 {fmt_ms(latency['p95_ms'])},"
        f" p99 {fmt_ms(latency['p99_ms'])} (mean {fmt_ms(latency['mean_ms'])},"
        f" max {fmt_ms(latency['max_ms'])})"
    )
    kinds = ", ".join(f"{k} {v}" for k, v in figures["errors_by_kind"].items())
    print(f"  errors: {figures['errors']}" + (f" ({kinds})" if kinds else ""))
    for sample in figures["error_samples"][:5]:
        print(f"    {sample['kind']} at {sample['step']} ({sample['sender']}): {sample['detail']}")


def print_steps(figures: dict[str, Any]) -> None:
    steps = figures["latency_by_step"]
    if len(steps) > 1:
        print("  by step (p50 / p95, count):")
        for step, s in sorted(steps.items(), key=lambda kv: -(kv[1]["p95_ms"] or 0)):
            print(
                f"    {step:<18} {fmt_ms(s['p50_ms']):>9} / {fmt_ms(s['p95_ms']):>9}  {s['count']:>6}"
            )


def print_checks(enrolments: dict[str, Any] | None, trackers: dict[str, Any]) -> None:
    if enrolments is None:
        print("  registrations: not checked in the database (give --database-url)")
    else:
        by_status = ", ".join(
            f"{k} {v}" for k, v in sorted(enrolments["confirmed_by_status"].items())
        )
        print(
            f"  registrations confirmed by the bot: {enrolments['confirmed_by_bot']}"
            + (
                f" ({by_status}; {enrolments['withdrawn_by_bot']} withdrawn later)"
                if by_status
                else ""
            )
        )
        print(
            f"    in the database exactly once: {enrolments['in_database_exactly_once']};"
            f" missing {enrolments['missing']}, duplicated {enrolments['duplicated']},"
            f" wrong intake {enrolments['wrong_intake']}, status differs {enrolments['status_differs']}"
        )
        if enrolments["submitted_without_confirmation"]:
            print(
                f"    submitted without an answer: {enrolments['submitted_without_confirmation']}"
                f" (stored: {enrolments['of_which_stored']})"
            )
        for problem in enrolments["problems"][:5]:
            print(f"    {problem}")
    print(
        f"  trackers: {trackers['conversations_checked']} conversations,"
        f" {trackers['messages_checked']:,} messages checked; lost events {trackers['lost_events']},"
        f" unanswered {trackers['unanswered']}, unexpected {trackers['unexpected_user_events']},"
        f" unreadable {trackers['unreadable_trackers']}"
    )
    for failure in trackers["failures"][:5]:
        print(f"    {failure}")


# --------------------------------------------------------------------------
# Main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/load.py", description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    load = parser.add_argument_group("load")
    load.add_argument("--users", type=int, default=50, help="concurrent conversations (50)")
    load.add_argument("--duration", type=float, default=120, help="seconds of load (120)")
    load.add_argument("--ramp", type=float, default=0, help="seconds to start every user (0)")
    load.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds between messages (1.0; each 0.5-1.5x)",
    )
    load.add_argument(
        "--timeout", type=float, default=30, help="seconds before a reply is late (30)"
    )
    load.add_argument("--seed", type=int, default=8, help="seed of the mix (8)")
    target = parser.add_argument_group("Msaidizi")
    target.add_argument(
        "--target", help="URL of a running Msaidizi's Rasa server (or its proxy): start nothing"
    )
    target.add_argument(
        "--database-url",
        help="enrolment database: the stack's (started: default a throw-away SQLite file;"
        " with --target: needed to check registrations)",
    )
    target.add_argument(
        "--tracker-store-url", help="tracker store of a started stack (default SQLite)"
    )
    target.add_argument("--model", type=Path, default=MODEL, help="model to copy and serve")
    parser.add_argument(
        "--verify-sample", type=int, default=0, help="check this many trackers (0: all)"
    )
    parser.add_argument("--skip-bare", action="store_true", help="do not load the bare Rasa bot")
    parser.add_argument("--retrain-bare", action="store_true", help="train the bare bot again")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0:
        parser.error("--users and --duration must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from bot import replies as reply_catalogue

    msaidizi_replies = Replies.of_domain(ROOT / "domain", dict(reply_catalogue.catalogue()))
    run_tag = f"{random.SystemRandom().randrange(1000, 10000)}"
    settings = {
        "users": args.users, "duration_s": args.duration, "ramp_s": args.ramp,
        "think_s": args.think, "timeout_s": args.timeout, "seed": args.seed,
        "run_tag": run_tag, "target": args.target,
    }  # fmt: skip
    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "settings": settings,
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
    }
    print(
        f"load benchmark: {args.users} users for {args.duration:g}s, think {args.think:g}s"
        f" (run {run_tag})",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="msaidizi-bench-"))
    stack: Process | None = None
    try:
        if args.target:
            url = args.target.rstrip("/")
            database_url = args.database_url
            report["msaidizi"] = {"started": False, "url": url}
        else:
            # Our own copy: another engineer may retrain models/msaidizi.tar.gz meanwhile.
            model = workdir / "msaidizi.tar.gz"
            shutil.copy2(args.model, model)
            database_url = args.database_url or f"sqlite:///{workdir / 'msaidizi.db'}"
            tracker_url = args.tracker_store_url or f"sqlite:///{workdir / 'tracker.db'}"
            print("  starting Msaidizi ...", flush=True)
            stack, url = start_msaidizi(workdir, model, database_url, tracker_url)
            from bot.db.engine import mask_url

            report["msaidizi"] = {
                "started": True,
                "model": str(args.model),
                "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest()[:16],
                "database": mask_url(database_url),
                "tracker_store": mask_url(tracker_url),
            }
        asyncio.run(
            warm_up(
                url,
                [
                    "hello",
                    "habari",
                    "which courses do you offer?",
                    "what is the data protection act?",
                ],
                args.timeout * 4,
            )
        )
        stats = asyncio.run(
            run_load(
                url, msaidizi_replies, Officer, users=args.users, duration=args.duration,
                ramp=args.ramp, think=args.think, timeout=args.timeout, seed=args.seed,
                run_tag=run_tag,
            )
        )  # fmt: skip
        figures = load_figures(stats)
        print_load("Msaidizi", figures)
        print_steps(figures)
        print("  checking trackers and the enrolment database ...", flush=True)
        trackers = asyncio.run(
            check_trackers(
                url, stats.conversations, args.verify_sample, args.seed, args.timeout * 2
            )
        )
        enrolments = check_enrolments(database_url, stats.registrations) if database_url else None
        print_checks(enrolments, trackers)
        report["msaidizi"].update(load=figures, trackers=trackers, enrolments=enrolments)
        if stack:
            stack.stop()
            stack = None

        if not args.skip_bare:
            print("\n  starting the bare Rasa bot ...", flush=True)
            model = bare_model(args.retrain_bare)
            bare, bare_url = start_bare(workdir, model)
            try:
                asyncio.run(warm_up(bare_url, ["hello", "I am great", "bye"], args.timeout * 4))
                bare_stats = asyncio.run(
                    run_load(
                        bare_url, Replies.of_domain(BARE_BOT / "domain.yml"), BareUser,
                        users=args.users, duration=args.duration, ramp=args.ramp,
                        think=args.think, timeout=args.timeout, seed=args.seed, run_tag=run_tag,
                    )
                )  # fmt: skip
            finally:
                bare.stop()
            bare_figures = load_figures(bare_stats)
            print_load(
                "bare Rasa bot (bench/bare_bot, rasa init's pipeline and policies)", bare_figures
            )
            if not figures["latency"]["count"] or not bare_figures["latency"]["count"]:
                raise ServerFailed("no reply was timed: no ratio")
            ratio = figures["latency"]["p95_ms"] / bare_figures["latency"]["p95_ms"]
            report["bare"] = {"model": str(model.relative_to(ROOT)), "load": bare_figures}
            report["p95_ratio"] = round(ratio, 2)
            verdict = "meets" if ratio <= 1.5 else "misses"
            print(
                f"\n  p95 Msaidizi / bare: {figures['latency']['p95_ms']:,.0f} /"
                f" {bare_figures['latency']['p95_ms']:,.0f} ms = {ratio:.2f}"
                f" ({verdict} issue 8's target of 1.5)"
            )
    except ServerFailed as failure:
        print(f"\n{failure}", file=sys.stderr)
        return 2
    finally:
        if stack:
            stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    failed = figures["errors"] + sum(
        trackers[k]
        for k in ("lost_events", "unanswered", "unexpected_user_events", "unreadable_trackers")
    )
    if enrolments:
        failed += sum(
            enrolments[k] for k in ("missing", "duplicated", "wrong_intake", "status_differs")
        )
    if not args.skip_bare:
        failed += bare_figures["errors"]
    report["passed"] = failed == 0
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"  figures written to {args.json}")
    print("\nPASSED" if failed == 0 else "\nFAILED: see errors and checks above")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
