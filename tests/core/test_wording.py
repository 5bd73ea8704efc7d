"""The English rules sentences share (core/wording.py)."""

from __future__ import annotations

import pytest

from pipedrive_gui.core.wording import article, with_article


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        # every kind of record
        ("person", "a person"),
        ("organization", "an organization"),
        ("deal", "a deal"),
        ("activity", "an activity"),
        ("lead", "a lead"),
        ("note", "a note"),
        # Segment's type names (its errors say "an object", "a string")
        ("object", "an object"),
        ("array", "an array"),
        ("integer", "an integer"),
        ("undefined", "an undefined"),
        ("string", "a string"),
        ("null", "a null"),
        # capitals, field type labels, and words said otherwise than spelled
        ("Address field", "an Address field"),
        ("Organization", "an Organization"),
        ("User", "a User"),
        ("user", "a user"),
        ("unique ID", "a unique ID"),
        ("URL", "a URL"),
        ("one-off", "a one-off"),
        ("hour", "an hour"),
        ("email address", "an email address"),
    ],
)
def test_with_article(noun: str, expected: str) -> None:
    assert with_article(noun) == expected


def test_an_empty_word_takes_a() -> None:
    assert article("") == "a"
