"""Reads, for the agent API, the dashboard, the action pages and the CLI: only the
repositories, so that a read builds no mail, timer or platform client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.errors import IncidentNotFound
from chalicelib.domain.incidents import Incident, IncidentStatus
from chalicelib.domain.times import utc_now
from chalicelib.ports import CaseRepository, IncidentRepository
from chalicelib.use_cases.dashboard import Dashboard


@dataclass(frozen=True)
class Queries:
    cases: CaseRepository
    incidents: IncidentRepository | None = None
    time_scale: float = 1.0  # policy seconds per wall second, for the dashboard's clocks
    clock: Callable[[], datetime] = utc_now

    def case(self, case_id: str) -> Case:
        """The case. Raises CaseNotFound."""
        return self.cases.get(case_id)

    def history(self, case_id: str) -> tuple[Case, list[Event]]:
        """The case and its trail, oldest first. Raises CaseNotFound."""
        return self.cases.history(case_id)

    def cases_in(self, status: Status, limit: int = 100) -> list[Case]:
        """Cases in a status, newest first."""
        return self.cases.list(status, limit)

    def case_of_post(self, channel: str, post_id: str) -> Case | None:
        """The case a post opened or joined, if any."""
        case_id = self.cases.case_holding(channel, post_id)
        return self.cases.get(case_id) if case_id else None

    def link_used_at(self, case_id: str, nonce: str) -> datetime | None:
        """When the email action link with this nonce acted on the case, if it did."""
        return self.cases.link_used_at(case_id, nonce)

    def incident(self, incident_id: str) -> Incident:
        """The incident. Raises IncidentNotFound."""
        if self.incidents is None:
            raise IncidentNotFound(incident_id)
        return self.incidents.get(incident_id)

    def incidents_in(self, status: IncidentStatus, limit: int = 100) -> list[Incident]:
        """Incidents in a status, newest first."""
        return self.incidents.list(status, limit) if self.incidents else []

    def dashboard(self) -> Dashboard:
        """The open queue, the recent breaches and the figures per channel, as of now."""
        return Dashboard.build(self.cases, self.clock(), self.time_scale)
