"""Every domain error has one place for the user's text: UserError.user_message (docs/architecture.md)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pipedrive_gui
from pipedrive_gui.core.errors import UserError
from pipedrive_gui.pipedrive.encode import EncodeError, EncodeProblems
from pipedrive_gui.pipedrive.errors import RateLimitedError

#: Layers whose errors are shown to people. The sandbox stands in for Pipedrive (its errors are HTTP
#: answers), the GUI and the command line only show errors, and cli.CliError is the command line's
#: own exit (its text is printed as is).
_SKIPPED = (
    "pipedrive_gui.sandbox",
    "pipedrive_gui.gui",
    "pipedrive_gui.commands",
    "pipedrive_gui.cli",
    "pipedrive_gui.__main__",
    "pipedrive_gui.gui_entry",
)
#: Control flow inside the mapping kit's Liquid filters, never shown as such.
_INTERNAL = {"pipedrive_gui.core.mapping_kit.liquid_values.FilterFailure"}


def _domain_errors() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(pipedrive_gui.__path__, "pipedrive_gui."):
        if info.name.startswith(_SKIPPED):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Exception)
                and not name.startswith("_")
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [cls for key, cls in sorted(found.items()) if key not in _INTERNAL]


def test_every_domain_error_is_a_user_error() -> None:
    errors = _domain_errors()
    assert len(errors) > 30
    assert [f"{c.__module__}.{c.__qualname__}" for c in errors if not issubclass(c, UserError)] == []


def test_the_text_is_in_one_attribute_and_str_agrees() -> None:
    err = RateLimitedError("Too many requests. Wait a minute.", retry_after=3.0)
    assert err.user_message == str(err) == err.message == "Too many requests. Wait a minute."
    problems = EncodeProblems(
        [
            EncodeError("Stage ID", "'x' is not a whole number"),
            EncodeError("Done", "'maybe' is not true or false"),
        ]
    )
    assert (
        problems.user_message
        == str(problems)
        == ("Stage ID: 'x' is not a whole number; Done: 'maybe' is not true or false")
    )
    assert problems.label == "Stage ID" and problems.detail == "'x' is not a whole number"


@pytest.mark.parametrize("base", [ValueError, KeyError, LookupError])
def test_standard_bases_still_catch_them(base: type[Exception]) -> None:
    from pipedrive_gui.core.actions import UnknownActionError
    from pipedrive_gui.core.samples import SampleNotFoundError
    from pipedrive_gui.core.triggers import FqlSyntaxError

    instances = {
        ValueError: FqlSyntaxError("Bad trigger.", 0, segment_error="x"),
        KeyError: UnknownActionError("nope"),
        LookupError: SampleNotFoundError("x", ["a"]),
    }
    with pytest.raises(base):
        raise instances[base]
