"""What a supervisor can do on a case, and the grant an email's one-click link carries.

A grant (`ActionToken`) names the case, the opening and tier the email was about, the
action and the recipient, with a random nonce: the nonce makes the link work once (the
case repository records it in the same write as the change it made). Signing a grant
into a link's token is chalicelib.adapters.signing's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import InvalidToken


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # seen, on it: further tiers wait for the claim window
    CLAIM = "claim"  # mine: the case gets an owner, and further tiers wait as above
    SNOOZE = "snooze"  # everything that is still to come, 30 minutes later
    ESCALATE = "escalate"  # the next tier is told now
    RESOLVE = "resolve"  # done
    MOVE = "move"  # another team's: its tiers email that team's people from now on

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ACKNOWLEDGE: "Acknowledge",
    Action.CLAIM: "Claim",
    Action.SNOOZE: "Snooze 30 min",
    Action.ESCALATE: "Escalate now",
    Action.RESOLVE: "Resolve",
    Action.MOVE: "Move to",
}


def button_label(action: Action, team: str | None = None) -> str:
    """What a link's button says: `Resolve`, `Move to billing`."""
    return f"{action.label} {team}" if team else action.label


@dataclass(frozen=True)
class ActionToken:
    """What a link lets its recipient do, and to which email of which case."""

    case_id: str
    opening: int
    tier: int
    action: Action
    recipient: str
    nonce: str
    team: str | None = None  # where a move hands the case

    def as_payload(self) -> dict[str, Any]:
        payload = {
            "c": self.case_id,
            "o": self.opening,
            "t": self.tier,
            "a": str(self.action),
            "r": self.recipient,
            "n": self.nonce,
        }
        return payload | ({"m": self.team} if self.team else {})

    @property
    def label(self) -> str:
        return button_label(self.action, self.team)

    @classmethod
    def from_payload(cls, payload: Any) -> ActionToken:
        try:
            return cls(
                case_id=str(payload["c"]),
                opening=int(payload["o"]),
                tier=int(payload["t"]),
                action=Action(payload["a"]),
                recipient=str(payload["r"]),
                nonce=str(payload["n"]),
                team=str(payload["m"]) if "m" in payload else None,
            )
        except (TypeError, KeyError, ValueError):
            raise InvalidToken("this link is not one Escalator made") from None
