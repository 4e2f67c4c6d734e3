"""What every use case is given: its ports, the policy and the clock. The composition
root (chalicelib.components) fills it with AWS adapters; tests/service with fakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.policy import Policy
from chalicelib.domain.times import utc_now
from chalicelib.ports import (
    AuthorContacts,
    CaseRepository,
    IncidentRepository,
    LinkSigner,
    Mailer,
    Replier,
    Timers,
)


def _none() -> None:
    return None


@dataclass
class Context:
    cases: CaseRepository
    timers: Timers
    mailer: Mailer
    policy: Policy
    sender: str  # the From address of every email
    base_url: Callable[[], str]  # read per email: set in AWS after the first deploy
    time_scale: float = 1.0  # policy seconds per wall second (3600 in demos and tests)
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    # Built on first use, by the one function that uses each: the brand's X user tokens
    # (acknowledgements: the inbox consumer) and the action key (links: the timer's step)
    # are read by no other (each function reads only the secrets it uses).
    replier: Callable[[], Replier | None] = _none  # acknowledgements on X
    contacts: AuthorContacts | None = None  # spots repeat contact, if given
    incidents: IncidentRepository | None = None  # groups storms, if given and the policy says
    link_signer: Callable[[], LinkSigner | None] = _none  # signs emails' action links
