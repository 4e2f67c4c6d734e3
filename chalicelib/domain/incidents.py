"""Storms and incidents: many complaints about one thing at once are one problem.

Plain Python. A complaint's storm terms are its distinctive words; when enough people
complain within a window with one in common, their complaints become an incident: the
crisis tier hears of it once (and of complaints that join later in a digest, at most
once a window), and the member cases stop escalating one by one. People, not posts: one
author's many complaints count once, so nobody can make a storm alone and silence the
others. An urgent complaint is never part of one: it escalates on its own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_TERMS = 4
_WORD = re.compile(r"[a-z][a-z0-9']{2,}")
_NOISE = re.compile(r"https?://\S+|[@#]\w+|&\w+;")
STOP_WORDS = frozenset(
    """
    about above after again against all also and any are aren't because been before
    being below between both but can can't cannot could couldn't did didn't does doesn't
    doing don't during each few for from further had hadn't has hasn't have haven't
    having her here hers herself him himself his how i'm i've into isn't it's its itself
    just let's like me more most mustn't myself nor not now off once only other ought
    our ours ourselves out over own same shan't she she's should shouldn't some such
    than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through too under until very was wasn't
    we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's will with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves get got getting going gonna want wants
    need needs still even really one two any anyone anything someone something yet ever
    never always today yesterday tomorrow day days hour hours minute minutes week weeks
    time times please thanks thank help hello hey guys customer customers service
    support team thing things know let make made see say said tell told back way since
    well much many lot
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def storm_terms(text: str) -> list[str]:
    """The words that say what a complaint is about, in the order written (at most 4)."""
    words = _WORD.findall(_NOISE.sub(" ", text.lower()))
    terms: list[str] = []
    for word in words:
        if word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


INCIDENT_ID = re.compile(r"^incident-[0-9a-f]{20}$")


@dataclass(frozen=True)
class Incident:
    id: str
    term: str  # what its complaints have in common
    opened_at: datetime
    members: tuple[str, ...]  # case ids
    status: IncidentStatus = IncidentStatus.OPEN
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    told: tuple[str, ...] = ()  # the members its emails named (the notice, the digests)
    told_at: datetime | None = None  # its last email

    @property
    def untold(self) -> tuple[str, ...]:
        """Members that joined since its last email."""
        return tuple(member for member in self.members if member not in self.told)

    @classmethod
    def open(cls, term: str, now: datetime, members: list[str]) -> Incident:
        digest = hashlib.sha256(f"{term}\0{now.isoformat()}".encode()).hexdigest()[:20]
        return cls(f"incident-{digest}", term, now, tuple(sorted(set(members))))

    @property
    def is_open(self) -> bool:
        return self.status is IncidentStatus.OPEN
