"""Changing a stored case safely: decide on the case as read, write it only if nobody
changed it meanwhile, and otherwise read it again and decide again (optimistic
concurrency on the case's version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.domain.cases import Case, Event
from chalicelib.domain.errors import ConcurrentChange

if TYPE_CHECKING:
    from chalicelib.use_cases.context import Context

MAX_ATTEMPTS = 5  # reads and decisions before a change gives up (ConcurrentChange)
Change = tuple[Case, list[Event]]  # a case as it should become, and the events saying why


def settle(
    ctx: Context,
    case: Case,
    decide: Callable[[Case], Change | None],
    link_nonce: str | None = None,
) -> tuple[Case, Case]:
    """Store what `decide` makes of the case as read; if someone changed the case
    meanwhile, read it again and decide again. Returns the case as the decision
    read it, and as stored (the same when there was nothing to do). `link_nonce`:
    the email link making the change, which may make it only once (LinkUsed)."""
    for _ in range(MAX_ATTEMPTS):
        decision = decide(case)
        if decision is None:
            return case, case
        changed, events = decision
        try:
            return case, ctx.cases.update(case, changed, *events, link_nonce=link_nonce)
        except ConcurrentChange:
            case = ctx.cases.get(case.id)
    raise ConcurrentChange(case.id)
