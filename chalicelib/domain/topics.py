"""Topics: what a post is about (billing, delivery, the app...), from the policy file's
taxonomy, so that policies can route it to the team that owns the subject.

Plain Python. Each topic is a set of terms (words or phrases) and patterns (regular
expressions); both are matched on word boundaries, case- and accent-insensitively
("Remboursé" matches the term "rembourse"). The topic with the most distinct matches
wins, ties going to the one listed first; a post that matches none is about `other`.

Patterns are written in Python's `re` syntax and run by the `regex` module (a superset
of it), which can stop a match after a time limit: a pattern that backtracks for long
on a post is taken as not matching it, so one topic cannot hold up a batch of posts.
A repeat inside a repeat (`(a+)+`), the usual cause, is refused at load (`nested_repeat`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from re import _constants, _parser  # type: ignore[attr-defined]  # Python's own parser (3.11)

import regex

OTHER = "other"  # the topic of a post no topic's terms match
TIME_LIMIT = 0.1  # seconds a topic's pattern may take on one post before it counts as no match
CHECK_BUDGET = TIME_LIMIT / 2  # what `policy check` allows on a crafted post: Lambda is slower
# regex's time limit is wall-clock, and by default it lets go of the GIL while it matches a
# str: with other threads busy (the local stack's), waiting for the GIL again counted as
# the pattern's time and ordinary posts lost their topic. Held, the limit is the pattern's.
HOLD_THE_GIL = {"concurrent": False}


def without_accents(text: str) -> str:
    """`"Café, REMBOURSÉ"` → `"Cafe, REMBOURSE"`: decomposed, combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def phrase(term: str) -> str:
    """A literal term as a pattern: spaces match any run of whitespace."""
    return r"\s+".join(re.escape(word) for word in term.split())


def topic_pattern(terms: Iterable[str], patterns: Iterable[str]) -> str:
    """One pattern for a topic, bounded by non-word characters on both sides (so terms
    may start or end with symbols such as `£` or `#`), accents taken out."""
    parts = [phrase(without_accents(term)) for term in terms]
    parts += [without_accents(p) for p in patterns]
    return r"(?<!\w)(?:" + "|".join(f"(?:{part})" for part in parts) + r")(?!\w)"


def compile_topic(terms: Iterable[str], patterns: Iterable[str]) -> regex.Pattern[str]:
    """`topic_pattern` compiled as triage runs it: by `regex`, ignoring case. Raises
    regex.error for a bad pattern."""
    return regex.compile(topic_pattern(terms, patterns), regex.IGNORECASE)


_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)


def _inner(argument: object) -> Iterator[_parser.SubPattern]:
    """The parts a parsed item holds: a group's, a repeat's, each branch's, an
    assertion's, a conditional's."""
    if isinstance(argument, _parser.SubPattern):
        yield argument
    elif isinstance(argument, tuple | list):
        for part in argument:
            yield from _inner(part)


def _repeated(parsed: _parser.SubPattern) -> Iterator[_parser.SubPattern]:
    """The body of each outermost repeat that may run more than once (`+`, `*`, `{2,}`;
    not `?`)."""
    for operator, argument in parsed:
        if operator in _REPEATS and argument[1] > 1:
            yield argument[2]
        else:
            for part in _inner(argument):
                yield from _repeated(part)


def nested_repeat(pattern: str) -> bool:
    """Whether a repeat holds another: `(a+)+`, `(?:\\w+\\s?)+`, `(x{2,}y?)*`, in the
    pattern as triage runs it (accents taken out, which makes a full-width plus `+`).
    Such a pattern can try every way of splitting a run of characters between the two
    before it fails: seconds on 24 characters, minutes on a few more. Raises re.error for
    a pattern Python's `re` cannot parse."""
    parsed = _parser.parse(without_accents(pattern))
    return any(any(_repeated(body)) for body in _repeated(parsed))


def _literals(parsed: _parser.SubPattern) -> Iterator[str]:
    """The characters a parsed pattern names, in order (those of its sets too)."""
    for operator, argument in parsed:
        if operator is _constants.LITERAL:
            yield chr(argument)
        elif operator is _constants.IN:
            yield from (chr(value) for kind, value in argument if kind is _constants.LITERAL)
        else:
            for part in _inner(argument):
                yield from _literals(part)


def adversarial_posts(pattern: str, length: int) -> list[str]:
    """Posts of `length` characters made to keep a backtracking pattern busy: a run of one
    character (a letter, a digit, a space or one the pattern names), alone or between
    spaces; as it is, ending in the pattern's own characters and a letter (a match that
    nearly succeeds, then fails at the end), and starting with them too. Raises re.error
    as nested_repeat."""
    own = "".join(_literals(_parser.parse(without_accents(pattern))))[: length // 3]
    posts: dict[str, None] = {}
    for char in dict.fromkeys("a1 " + own):
        for run in (char * length, (char + " ") * length):
            for start, end in (("", ""), ("", own + "a"), (own, own + "a")):
                posts[start + run[: length - len(start) - len(end)] + end] = None
    return list(posts)


def too_slow(pattern: str, length: int, budget: float = CHECK_BUDGET) -> str | None:
    """The first of `adversarial_posts` that the pattern, compiled as triage runs it, takes
    more than `budget` seconds on; None if none. It takes time, so `escalator policy
    check` runs it, not loading. Raises re.error as nested_repeat."""
    compiled = compile_topic([], [pattern])
    for post in adversarial_posts(pattern, length):
        try:
            compiled.findall(post, timeout=budget, **HOLD_THE_GIL)
        except TimeoutError:
            return post
    return None


def _spaced(found: str) -> str:
    """A match as a reason shows it: lowercase, single spaces."""
    return " ".join(found.lower().split())


@dataclass(frozen=True)
class TopicMatch:
    """A post's topic, and the words in it that said so (for the case's reasons)."""

    topic: str
    terms: tuple[str, ...] = ()
    timed_out: tuple[str, ...] = ()  # topics whose pattern ran out of TIME_LIMIT on the post

    @property
    def reason(self) -> str | None:
        return f"topic {self.topic}: {', '.join(self.terms)}" if self.terms else None


@dataclass(frozen=True)
class Taxonomy:
    """The topics in the policy file's order (that order breaks ties)."""

    topics: tuple[tuple[str, regex.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, topics: dict[str, tuple[list[str], list[str]]]) -> Taxonomy:
        """From `{name: (terms, patterns)}`."""
        return cls(tuple((name, compile_topic(*spec)) for name, spec in topics.items()))

    def classify(self, text: str) -> TopicMatch:
        """The topic of `text`. A topic whose pattern runs out of TIME_LIMIT on it counts
        as not matched, and is named in the match's `timed_out` (for the caller to log
        and count: chalicelib.telemetry.topics_timed_out)."""
        folded = without_accents(text)
        best, timed_out = TopicMatch(OTHER), []
        for name, pattern in self.topics:
            try:
                matches = list(pattern.finditer(folded, timeout=TIME_LIMIT, **HOLD_THE_GIL))
            except TimeoutError:
                timed_out.append(name)
                continue
            found = tuple(sorted({_spaced(m.group(0)) for m in matches}))
            if len(found) > len(best.terms):
                best = TopicMatch(name, found)
        return replace(best, timed_out=tuple(timed_out))
