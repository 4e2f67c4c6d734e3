"""Topics: what a post is about (billing, delivery, the app...), from the policy file's
taxonomy, so that policies can route it to the team that owns the subject.

Plain Python. Each topic is a set of terms (words or phrases) and patterns (regular
expressions); both are matched on word boundaries, case- and accent-insensitively
("Remboursé" matches the term "rembourse"). The topic with the most distinct matches
wins, ties going to the one listed first; a post that matches none is about `other`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

OTHER = "other"  # the topic of a post no topic's terms match


def without_accents(text: str) -> str:
    """`"Café, REMBOURSÉ"` → `"Cafe, REMBOURSE"`: decomposed, combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def phrase(term: str) -> str:
    """A literal term as a pattern: spaces match any run of whitespace."""
    return r"\s+".join(re.escape(word) for word in term.split())


def compile_topic(terms: Iterable[str], patterns: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a topic, bounded by non-word characters on both sides (so terms
    may start or end with symbols such as `£` or `#`). Raises re.error for a bad pattern."""
    parts = [phrase(without_accents(term)) for term in terms]
    parts += [without_accents(p) for p in patterns]
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{part})" for part in parts) + r")(?!\w)", re.I)


def _spaced(found: str) -> str:
    """A match as a reason shows it: lowercase, single spaces."""
    return " ".join(found.lower().split())


@dataclass(frozen=True)
class TopicMatch:
    """A post's topic, and the words in it that said so (for the case's reasons)."""

    topic: str
    terms: tuple[str, ...] = ()

    @property
    def reason(self) -> str | None:
        return f"topic {self.topic}: {', '.join(self.terms)}" if self.terms else None


@dataclass(frozen=True)
class Taxonomy:
    """The topics in the policy file's order (that order breaks ties)."""

    topics: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, topics: dict[str, tuple[list[str], list[str]]]) -> Taxonomy:
        """From `{name: (terms, patterns)}`."""
        return cls(tuple((name, compile_topic(*spec)) for name, spec in topics.items()))

    def classify(self, text: str) -> TopicMatch:
        folded = without_accents(text)
        best = TopicMatch(OTHER)
        for name, pattern in self.topics:
            found = tuple(sorted({_spaced(m.group(0)) for m in pattern.finditer(folded)}))
            if len(found) > len(best.terms):
                best = TopicMatch(name, found)
        return best
