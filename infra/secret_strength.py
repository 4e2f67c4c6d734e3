"""How strong the secrets Escalator relies on for itself are: the API token and the
action key (the platforms' secrets are what the platforms give).

An estimate, not a proof: a value's length times log2 of the pool of character classes it
draws on (ASCII lower case 26, upper case 26, digits 10, anything else 33: punctuation
and space), the bits a random choice from that pool would carry. A value that repeats
itself (`aaaa...`, `abcabc...`) scores high on that and is worth little, so its
characters must also spread: a Shannon entropy of at least 3 bits per character.
"""

from __future__ import annotations

import math
import string
from collections import Counter

MIN_BITS = 256  # 32 random bytes
MIN_BITS_PER_CHARACTER = 3.0
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
OTHER_CLASS_SIZE = 33  # ASCII's punctuation and space; anything else counts among them
HOW_TO_MAKE_ONE = "make one with --generate, or store what `openssl rand -base64 32` prints"


def estimated_bits(value: str) -> float:
    """Length times log2 of the pool of the character classes the value uses."""
    used = {next((c for c in CLASSES if character in c), None) for character in value}
    pool = sum(OTHER_CLASS_SIZE if c is None else len(c) for c in used)
    return len(value) * math.log2(pool) if pool else 0.0


def bits_per_character(value: str) -> float:
    """The Shannon entropy of the value's characters, in bits per character."""
    length = len(value)
    return sum(n / length * math.log2(length / n) for n in Counter(value).values())


def weakness(value: str) -> str | None:
    """Why the value is too weak for a secret Escalator relies on; None if it is not."""
    bits = estimated_bits(value)
    if bits < MIN_BITS:
        return f"it has about {bits:.0f} bits of entropy, and {MIN_BITS} are needed"
    spread = bits_per_character(value)
    if spread < MIN_BITS_PER_CHARACTER:
        return (
            f"it repeats itself: {spread:.1f} bits per character, "
            f"and {MIN_BITS_PER_CHARACTER:g} are needed"
        )
    return None
