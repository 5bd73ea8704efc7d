"""Small English rules the app's sentences share, so that each has one home.

A sentence that puts "a" before a word from a variable ("updated a {entity}") reads "updated a
organization" for half the record kinds; build it with :func:`with_article` instead.
"""

from __future__ import annotations

import re

#: Spelled with a vowel, said with a consonant: "a user", "a unique ID", "a URL", "a one-off".
_CONSONANT_SOUND = re.compile(r"(?:us[aeu]|uni(?:que|t|on|vers|form)|ur[il]|uuid|eu|one\b|once\b)", re.I)
#: Spelled with a consonant, said with a vowel: "an hour".
_VOWEL_SOUND = re.compile(r"(?:hour|honest|honou?r|heir)", re.I)


def article(noun: str) -> str:
    """ "a" or "an" before ``noun``: "an" before a vowel sound ("an organization", "an Address
    field"), "a" before a consonant sound ("a person", "a user")."""
    if _VOWEL_SOUND.match(noun):
        return "an"
    if _CONSONANT_SOUND.match(noun):
        return "a"
    return "an" if noun[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def with_article(noun: str) -> str:
    """``noun`` after its article: "an organization", "a deal", "an activity ID"."""
    return f"{article(noun)} {noun}"
