"""The domain's errors, in one place: what the use cases raise and catch, and what the
adapters translate their services' errors into (a DynamoDB condition that failed becomes
a DuplicatePost or a ConcurrentChange, an SES refusal an EmailRejected), so that nothing
above the adapters knows which service said no. The entrypoints map each to its answer
(chalicelib.entrypoints.http)."""

from __future__ import annotations


class CaseNotFound(LookupError):
    """No case has this id."""

    def __init__(self, case_id: str):
        super().__init__(f"no case with id {case_id!r}")
        self.case_id = case_id


class CaseConflict(RuntimeError):
    """A change that the case's current state does not allow."""

    def __init__(self, case_id: str, reason: str):
        super().__init__(f"case {case_id}: {reason}")
        self.case_id = case_id


class ConcurrentChange(CaseConflict):
    """The case changed between reading and writing it: read it again and re-decide."""

    def __init__(self, case_id: str):
        super().__init__(case_id, "changed by someone else meanwhile")


class UnknownTeam(LookupError):
    """A move to a team the policy file does not have."""

    def __init__(self, team: str | None, teams: list[str]):
        known = ", ".join(teams) or "none: the policy has no [teams]"
        super().__init__(f"no team {team!r} (teams: {known})")


class DuplicatePost(Exception):
    """The post was seen before; `case_id` is the case it belongs to, and
    `acknowledgement` says it is Escalator's own automatic reply."""

    def __init__(self, case_id: str, acknowledgement: bool = False):
        super().__init__(f"post already recorded as case {case_id}")
        self.case_id = case_id
        self.acknowledgement = acknowledgement


class ThreadTaken(Exception):
    """Another case took the post's conversation meanwhile (two first posts of one thread
    at once): the post belongs to that case (`case_id`)."""

    def __init__(self, case_id: str):
        super().__init__(f"the conversation is case {case_id}'s")
        self.case_id = case_id


class LinkUsed(Exception):
    """An email action link's nonce is on record: it acted once already."""


class InvalidToken(ValueError):
    """An action link forged, tampered with or malformed: not made with our key."""


class ExpiredToken(ValueError):
    """An action link signed by us, but older than its lifetime."""


class IncidentNotFound(LookupError):
    """No incident has this id."""

    def __init__(self, incident_id: str):
        super().__init__(f"no incident with id {incident_id!r}")


class EmailRejected(RuntimeError):
    """The mail service answered and did not take the message: sending again cannot
    double it."""


class ReplyFailed(RuntimeError):
    """The platform did not take the reply."""
