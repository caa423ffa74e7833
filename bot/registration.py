"""The registration conversation, as plain Python: which answer a message gives,
whether it is valid, what to ask next.

Issue 3 (scope 3). The Rasa form (``actions/registration.py``) is a thin adapter:
it hands each message here and turns the result into slot events and replies.

Order of questions (:func:`required_slots`): eligibility comes first — course,
job group (or intern/attaché), a declared prerequisite, a nomination — so an
officer who cannot take the course learns it before giving any personal data;
then the intake; then consent with the DPA notice (s.29, s.32); only then name,
personal number, email, phone and employer (skipped for an officer whose chat
identity is already linked to their record: data minimisation, s.25); and last a
summary to confirm.

How a message is read (:func:`interpret`): entities for form slots are taken
wherever they appear, so "actually my email is …" corrects the email while the
bot is asking for the phone. The raw text answers the question being asked
unless the message is clearly something else — a question about a course, a
request to stop — in which case nothing is taken, the form is "rejected" and the
dialogue rules answer that message and then resume the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import contact
from bot import job_groups as jg
from bot.course_names import course_code

if TYPE_CHECKING:
    from bot.courses import CohortInfo, CourseInfo

ELIGIBILITY_SLOTS = ("course", "job_group", "prerequisite_declared", "nominated")
PERSONAL_SLOTS = ("full_name", "personal_number", "email", "phone_number", "employer")
YES_NO_SLOTS = frozenset({"prerequisite_declared", "nominated", "consent", "confirmed"})
FREE_TEXT_SLOTS = frozenset({"full_name", "employer"})
#: Every slot the registration form fills (reset together when it ends).
FORM_SLOTS = (
    "course",
    "job_group",
    "terms_of_service",
    "prerequisite_declared",
    "nominated",
    "eligible",
    "cohort",
    "consent",
    "consent_given_at",
    *PERSONAL_SLOTS,
    "confirmed",
)
RESTRICTED_TERMS = frozenset({"intern", "attache"})

#: Intents that are never an answer to the form's question: the officer asked
#: something else or wants out. The dialogue rules handle them.
NOT_ANSWERS = frozenset(
    {
        "stop",
        "human_handoff",
        "switch_language",
        "course_details",
        "list_courses",
        "check_eligibility",
        "check_status",
        "withdraw",
        "update_details",
        "ask_help",
        "bot_challenge",
        "greet",
        "goodbye",
        "thank",
        "out_of_scope",
        "data_protection",
        "my_data_access",
        "my_data_erase",
    }
)
#: Intents a name or an employer is often mistaken for.
LOOKS_LIKE_FREE_TEXT = frozenset({"out_of_scope", "greet", "thank", "goodbye"})
_YES_WORDS = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|correct|i have|i did|i've|done|ndio|ndiyo|naam|sawa|"
    r"nimeimaliza|nimemaliza|nimeshafanya|nimefanya|nimeisoma|tayari|nimeteuliwa)\b"
)
_NO_WORDS = re.compile(
    r"^(?:no|nope|not yet|never|i haven'?t|i have not|hapana|la|bado|sijaifanya|sijafanya|"
    r"sijamaliza|sijaimaliza|sijateuliwa)\b"
)

#: Below this confidence a "not an answer" intent is not trusted over the
#: question just asked (names and employers are unfamiliar text to the model).
#: The intent classifier's confidence is the logistic of its margin, so 0.5 is
#: its own boundary (bot/nlu/intent_classifier.py).
NOT_ANSWER_CONFIDENCE = 0.5
#: A message that also reads as a question or request ("hold on, where is this
#: course held?") needs only to clear the fallback threshold (config.yml, 0.2).
REQUEST_CONFIDENCE = 0.2

_ENTITY_SLOTS = {
    "email": "email",
    "phone_number": "phone_number",
    "personal_number": "personal_number",
    "job_group": "job_group",
    "terms_of_service": "terms_of_service",
    "cohort": "cohort",
}

_SLOT_ENTITIES = {slot: entity for entity, slot in _ENTITY_SLOTS.items()} | {"course": "course"}

_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:actually|sorry|correction|samahani|hapana)[\s,:;-]+)*"
    r"(?:my\s+(?:full\s+)?names?\s+(?:is|are)|i\s*am\s+called|i'?m\s+called|name\s*:|"
    r"jina\s+langu\s+(?:kamili\s+)?ni|majina\s+yangu\s+ni|naitwa|mimi\s+ni|it'?s)\s*[:,-]?\s*",
    re.IGNORECASE,
)
_EMPLOYER_PREFIX = re.compile(
    r"^\s*(?:(?:actually|sorry|correction|samahani|hapana)[\s,:;-]+)*"
    r"(?:my\s+employer\s+is|i\s+work\s+(?:at|for|in|with)|i'?m\s+(?:at|with|in)|"
    r"employer\s*:|mwajiri\s+wangu\s+ni|nafanya\s+kazi\s+(?:katika|kwa|na|kwenye|huko)|"
    r"ninafanya\s+kazi\s+(?:katika|kwa|na|kwenye)|niko|nipo|it'?s)\s*[:,-]?\s*"
    r"(?:the\s+(?=\w))?",
    re.IGNORECASE,
)
# "my number is 20231234", "namba yangu ni 20231234": only when the personal number
# is the question (alone, "my number" could be a phone number).
_NUMBER_PREFIX = re.compile(
    r"^\s*(?:(?:actually|sorry|correction|samahani|hapana)[\s,:;-]+)*"
    r"(?:(?:my\s+)?(?:number|no\.?)\s+is|(?:namba|nambari|nambo)\s+(?:yangu\s+)?(?:ni|ni\s+hii)|"
    r"it'?s|ni)\s*[:,-]?\s*",
    re.IGNORECASE,
)
_NAME_CORRECTION = re.compile(
    r"(?:my\s+(?:full\s+)?names?\s+(?:is|are)|jina\s+langu\s+(?:kamili\s+)?ni|naitwa)\s+(.+)$",
    re.IGNORECASE,
)
_EMPLOYER_CORRECTION = re.compile(
    r"(?:my\s+employer\s+is|i\s+(?:now\s+)?work\s+(?:at|for|in)|mwajiri\s+wangu\s+ni|"
    r"nafanya\s+kazi\s+(?:katika|kwa|kwenye))\s+(.+)$",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?$")


@dataclass(frozen=True)
class Message:
    """What the form needs from the officer's latest message."""

    text: str
    intent: str | None = None
    confidence: float = 1.0
    entities: Sequence[Mapping[str, Any]] = ()

    def entity(self, name: str) -> Any:
        return next((e.get("value") for e in self.entities if e.get("entity") == name), None)

    @property
    def is_not_an_answer(self) -> bool:
        if self.intent not in NOT_ANSWERS:
            return False
        return self.confidence >= NOT_ANSWER_CONFIDENCE or (
            self.confidence >= REQUEST_CONFIDENCE and looks_like_a_request(self.text)
        )

    def answers_free_text(self) -> bool:
        """Whether this can be a name or an employer. Such answers are unfamiliar
        text to the model, which may call "Kaunti ya Kisumu" out of scope or "Grace
        Wanjiru" a greeting; only a clear question or request is not an answer."""
        return not self.is_not_an_answer or self.intent in LOOKS_LIKE_FREE_TEXT


_REQUEST_WORDS = re.compile(
    r"\?|(?<!\w)(?:how|what|when|where|which|who|why|can|could|may|should|is|are|does|do|"
    r"please|plz|pls|want|wanna|need|tell|show|help|cancel|stop|change|update|check|"
    r"status|register|withdraw|nataka|naomba|ningependa|je|gani|wapi|lini|vipi|ngapi|nini|"
    r"nani|kwa\s+nini|nisaidie|msaada|niambie|nionyeshe|acha|badilisha|ondoa|usajili)(?!\w)",
    re.IGNORECASE,
)


def looks_like_a_request(text: str) -> bool:
    """Whether a message reads like a question or request (words such as "how",
    "can", "nataka", "wapi", or a question mark) rather than a bare answer."""
    return bool(_REQUEST_WORDS.search(text or ""))


def yes_or_no(text: str) -> bool | None:
    """A yes or no typed in words ("ndio nimeimaliza", "not yet"), for yes/no
    questions when the model did not say affirm or deny."""
    lowered = text.strip().lower()
    if _NO_WORDS.search(lowered):
        return False
    if _YES_WORDS.search(lowered):
        return True
    return None


def _strip(prefix: re.Pattern[str], text: str) -> str:
    return prefix.sub("", text, count=1).strip().strip(".,;:!").strip()


def interpret(
    message: Message,
    requested_slot: str | None,
    prerequisites: Iterable[str] = (),
) -> dict[str, Any]:
    """Slot values (unvalidated) that ``message`` gives; empty when it answers
    nothing and should be handled as an interruption."""
    if message.intent == "stop":
        return {}
    # The model is sure this is a question or request — but answers to the form's
    # questions are short, unfamiliar text it is often wrongly sure about ("Someone
    # Else Entirely" as withdraw, "12ab" as affirm). So unless the question is a
    # yes/no one, the message must also read like a request to be set aside.
    interrupts = message.is_not_an_answer and message.intent != "register"
    if interrupts and requested_slot not in YES_NO_SLOTS and requested_slot is not None:
        interrupts = looks_like_a_request(message.text)
    if interrupts and requested_slot in YES_NO_SLOTS and yes_or_no(message.text) is not None:
        interrupts = False  # "ndiyo nimemaliza DLF-101" answers, whatever the model says
    if interrupts:
        # A question or another request — unless it carries exactly what was asked
        # ("I'm JG M, can I do it?" answers the job-group question).
        wanted = _SLOT_ENTITIES.get(requested_slot or "")
        value = message.entity(wanted) if wanted else None
        if value is None and requested_slot == "job_group" and message.entity("terms_of_service"):
            return {"terms_of_service": message.entity("terms_of_service"), "job_group": None}
        return {requested_slot: value} if value is not None else {}
    values: dict[str, Any] = {}

    for entity, slot in _ENTITY_SLOTS.items():
        value = message.entity(entity)
        if value is not None:
            values[slot] = value
    if "terms_of_service" in values:
        values.setdefault("job_group", None)

    course = message.entity("course")
    if course is not None:
        # "Yes, I did DLF-101" answers the prerequisite question; it is not a switch
        # to DLF-101.
        is_prerequisite = course in set(prerequisites)
        if requested_slot == "course" or (
            message.intent in ("register", "inform")
            and not is_prerequisite
            and requested_slot != "prerequisite_declared"
        ):
            values["course"] = course

    if requested_slot and requested_slot != "full_name" and "full_name" not in values:
        match = _NAME_CORRECTION.search(message.text)
        if match:
            values["full_name"] = match.group(1).strip().strip(".,;:!")
    if requested_slot and requested_slot != "employer" and "employer" not in values:
        match = _EMPLOYER_CORRECTION.search(message.text)
        if match and not values.keys() & {"email", "phone_number", "personal_number"}:
            values["employer"] = match.group(1).strip().strip(".,;:!")

    if requested_slot is None or requested_slot in values:
        return values
    if requested_slot == "job_group" and "terms_of_service" in values:
        return values

    if requested_slot in YES_NO_SLOTS:
        if message.intent == "affirm":
            values[requested_slot] = True
        elif message.intent == "deny":
            values[requested_slot] = False
        elif requested_slot == "prerequisite_declared" and course in set(prerequisites):
            values[requested_slot] = True
        elif yes_or_no(message.text) is not None:
            values[requested_slot] = yes_or_no(message.text)
        return values

    if values or (message.intent in ("affirm", "deny") and yes_or_no(message.text) is not None):
        # A correction is the whole message; a bare "yes"/"no" answers no open
        # question.
        return values
    if requested_slot == "course" and message.intent not in ("inform", "register", "nlu_fallback"):
        return values
    if requested_slot == "full_name":
        values["full_name"] = _strip(_NAME_PREFIX, message.text)
    elif requested_slot == "employer":
        values["employer"] = _strip(_EMPLOYER_PREFIX, message.text)
    elif requested_slot == "personal_number":
        values["personal_number"] = _strip(_NUMBER_PREFIX, message.text)
    else:
        values[requested_slot] = message.text.strip()
    return values


# --- Validation -----------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A validated answer: the value to store, or the problem to explain."""

    value: Any = None
    problem: str | None = None
    note: str | None = None  # something to tell the officer even though it is valid


def check_full_name(text: Any) -> Checked:
    """Two to six names, letters only (hyphens and apostrophes allowed): the name
    as on the payslip, which staff match against the nomination."""
    name = " ".join(str(text or "").split())
    if not name:
        return Checked(problem="name_empty")
    words = name.split(" ")
    if any(not _NAME_WORD.match(w) for w in words):
        return Checked(problem="name_characters")
    if len(words) < 2:
        return Checked(problem="name_one_word")
    if len(words) > 6 or len(name) > 120:
        return Checked(problem="name_too_long")
    return Checked(value=" ".join(w if not w.islower() else w.capitalize() for w in words))


def check_employer(text: Any) -> Checked:
    """A ministry, state department, agency or county government, as typed."""
    employer = " ".join(str(text or "").split()).strip(".,;:")
    if len(employer) < 3 or not re.search(r"[^\W\d_]{2}", employer):
        return Checked(problem="employer_too_short")
    if len(employer) > 200:
        return Checked(problem="employer_too_long")
    if "@" in employer or contact.check_phone(employer).value:
        return Checked(problem="employer_not_a_name")
    return Checked(value=employer)


def check_job_group(text: Any) -> Checked:
    if isinstance(text, str) and jg.normalise(text) is not None and len(text.strip()) == 1:
        return Checked(value=jg.normalise(text))
    result = jg.parse_job_group(str(text or ""), bare_letter=True)
    if result.value is None:
        return Checked(problem=f"job_group_{result.problem or 'not_found'}")
    note = "csg_unconfirmed" if result.csg is not None and result.csg_unconfirmed else None
    return Checked(value=result.value, note=note)


def check_email(text: Any) -> Checked:
    checked = contact.is_valid_email(str(text or ""))
    return Checked(value=checked.value, problem=checked.problem and f"email_{checked.problem}")


def check_phone(text: Any) -> Checked:
    value = str(text or "")
    if value.startswith("+254") and contact.check_phone(value).value == value:
        return Checked(value=value)
    checked = contact.check_phone(value)
    return Checked(value=checked.value, problem=checked.problem and f"phone_{checked.problem}")


def check_personal_number(text: Any, pattern: str) -> Checked:
    checked = contact.is_valid_personal_number(str(text or ""), pattern)
    return Checked(
        value=checked.value, problem=checked.problem and f"personal_number_{checked.problem}"
    )


def check_course(text: Any, known_codes: Iterable[str]) -> Checked:
    known = set(known_codes)
    value = str(text or "")
    code = value if value in known else course_code(value)
    if code is None or code not in known:
        return Checked(problem="course_unknown")
    return Checked(value=code)


# --- Choosing an intake -----------------------------------------------------------

_MONTH_WORDS = {
    1: ("january", "jan", "januari"),
    2: ("february", "feb", "februari"),
    3: ("march", "mar", "machi", "marchi"),
    4: ("april", "apr", "aprili"),
    5: ("may", "mei"),
    6: ("june", "jun", "juni"),
    7: ("july", "jul", "julai"),
    8: ("august", "aug", "agosti"),
    9: ("september", "sep", "sept", "septemba"),
    10: ("october", "oct", "oktoba"),
    11: ("november", "nov", "novemba"),
    12: ("december", "dec", "desemba"),
}
# "mwezi wa kumi na moja" is November: the whole number, not just "kumi".
_SW_MONTH_NUMBER = re.compile(r"mwezi\s+wa\s+(kumi\s+na\s+(?:moja|mbili)|\w+)")
_SW_ORDINALS = {
    "kwanza": 1,
    "pili": 2,
    "tatu": 3,
    "nne": 4,
    "tano": 5,
    "sita": 6,
    "saba": 7,
    "nane": 8,
    "tisa": 9,
    "kumi": 10,
    "kumi na moja": 11,
    "kumi na mbili": 12,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "1": 1,
    "second": 2,
    "2nd": 2,
    "2": 2,
    "third": 3,
    "3rd": 3,
    "3": 3,
    "last": -1,
    "earliest": 1,
    "ya kwanza": 1,
    "ya pili": 2,
    "ya tatu": 3,
    "ya mwisho": -1,
}


def match_cohort(text: Any, cohorts: Sequence[CohortInfo]) -> CohortInfo | None:
    """The intake an officer chose: its code (from a button), or a campus, a month
    ("the March one", "ile ya mwezi wa sita") or a position ("the second one") that
    picks exactly one of ``cohorts`` (in the order they were offered)."""
    value = str(text or "").strip()
    for cohort in cohorts:
        if value.upper() == cohort.code.upper():
            return cohort
    lowered = value.lower()
    words = set(re.findall(r"[a-z0-9]+", lowered))

    def only(found: list[CohortInfo]) -> CohortInfo | None:
        return found[0] if len(found) == 1 else None

    by_campus = [c for c in cohorts if c.campus.lower() in lowered]
    months = {m for m, names in _MONTH_WORDS.items() if words & set(names)}
    if re.search(r"(?<!\w)may\s+(?:i|we|you)(?!\w)", lowered) and not words & {"mei"}:
        months.discard(5)  # "may I have the first one" is not May
    sw_month = _SW_MONTH_NUMBER.search(lowered)
    sw_number = " ".join(sw_month.group(1).split()) if sw_month else ""
    if sw_number in _SW_ORDINALS:
        months.add(_SW_ORDINALS[sw_number])
    elif sw_number.isdigit():
        months.add(int(sw_number))
    by_month = [c for c in cohorts if c.start_date.month in months]
    if by_campus and by_month:
        return only([c for c in by_campus if c in by_month])
    if by_month:
        return only(by_month)
    if by_campus:
        return only(by_campus)
    if not sw_month:
        for phrase, position in sorted(_ORDINALS.items(), key=lambda p: -len(p[0])):
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", lowered):
                index = position - 1 if position > 0 else len(cohorts) - 1
                return cohorts[index] if 0 <= index < len(cohorts) else None
    return None


# --- What to ask next -------------------------------------------------------------


def missing_prerequisites(course: CourseInfo, completed: Iterable[str]) -> list[str]:
    done = set(completed)
    return [code for code in course.prerequisites if code not in done]


def required_slots(
    slots: Mapping[str, Any],
    course: CourseInfo | None,
    *,
    completed: Iterable[str] = (),
    officer_on_file: bool = False,
) -> list[str]:
    """The form's questions, in order, given what is known so far. An empty list
    ends the form (ineligible, or consent refused)."""
    required = ["course"]
    if course is None:
        return required
    if slots.get("terms_of_service") not in RESTRICTED_TERMS:
        required.append("job_group")
    if missing_prerequisites(course, completed):
        required.append("prerequisite_declared")
    if course.requires_nomination:
        required.append("nominated")
    if slots.get("eligible") is False:
        return []
    required += ["cohort", "consent"]
    if slots.get("consent") is False:
        return []
    if not officer_on_file:
        required += list(PERSONAL_SLOTS)
    required.append("confirmed")
    return required


def eligibility_known(slots: Mapping[str, Any], required: Sequence[str]) -> bool:
    """Whether every eligibility question in ``required`` has an answer."""
    return all(slots.get(s) is not None for s in ELIGIBILITY_SLOTS if s in required)


def registration_open(cohort: CohortInfo, today: date) -> bool:
    return cohort.is_open(today)
