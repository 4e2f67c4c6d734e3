"""The use cases as one object, for the entrypoints: each method is one line that hands
its context (these same fields: the ports, the policy, the clock) to the use case's
module, where the work is done. Built once per container by chalicelib.components."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.cases import Case
from chalicelib.domain.incidents import Incident
from chalicelib.domain.posts import Post, PostNote
from chalicelib.use_cases import agent_actions, escalation, intake, storms, timers
from chalicelib.use_cases.context import Context
from chalicelib.use_cases.escalation import EscalationStep


class Escalator(Context):
    # -- a post's way in: chalicelib.use_cases.intake --------------------------------
    def receive(self, post: Post) -> Case | None:
        """The case a post opened, joined or answered (None: it opened nothing)."""
        return intake.receive(self, post)

    def note(self, note: PostNote) -> Case | None:
        """The case holding the post a platform's note is about (None: none holds it)."""
        return intake.note(self, note)

    # -- the timer: chalicelib.use_cases.escalation and .timers ----------------------
    def escalate(self, case_id: str, timer_round: int = 0) -> EscalationStep:
        """The timer's step for a case: what the state machine does next."""
        return escalation.escalate(self, case_id, timer_round)

    def reconcile_timers(self, grace: timedelta = timers.START_GRACE) -> list[str]:
        """The ids of the open cases given back a timer they had lost."""
        return timers.reconcile_timers(self, grace)

    # -- people's actions: chalicelib.use_cases.agent_actions ------------------------
    def respond(
        self, case_id: str, by: str, text: str | None = None, at: datetime | None = None
    ) -> Case:
        """Record the first response: the escalation ends."""
        return agent_actions.respond(self, case_id, by, text, at)

    def do_action(self, case_id: str, action: Action, by: str, team: str | None = None) -> Case:
        """A supervisor's action on a case, from the agent API."""
        return agent_actions.do_action(self, case_id, action, by, team=team)

    def follow_link(self, link: ActionToken) -> Case:
        """What an email's action link asks, done once, in its recipient's name."""
        return agent_actions.follow_link(self, link)

    def preview_link(self, link: ActionToken) -> Case:
        """The case an email link is about, if the link may act on it now."""
        return agent_actions.preview_link(self, link)

    def move(self, case_id: str, team: str, by: str) -> Case:
        """Hand a case to another team."""
        return agent_actions.move(self, case_id, team, by)

    def pause(self, case_id: str, by: str) -> Case:
        """Waiting on the customer: the clock stops until they write again."""
        return agent_actions.pause(self, case_id, by)

    # -- storms: chalicelib.use_cases.storms -----------------------------------------
    def send_incident_digests(self) -> list[str]:
        """The ids of the incidents that sent a digest of their later members."""
        return storms.send_incident_digests(self)

    def resolve_incident(self, incident_id: str, by: str, everyone: bool = False) -> Incident:
        """Close an incident and resolve the members its emails named (or all)."""
        return storms.resolve_incident(self, incident_id, by, everyone)
