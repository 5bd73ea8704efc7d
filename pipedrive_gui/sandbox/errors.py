"""Pipedrive-style error answers, raised anywhere in a handler and rendered by the app's middleware.

Bodies follow docs/pipedrive-api.md#errors: v1 uses ``error_info``; v2 (third-party observed,
unconfirmed) uses a string ``code`` such as ``ERR_SCHEMA_VALIDATION_FAILED``. The sandbox follows
those best guesses.
"""

from __future__ import annotations

from typing import Any

ERROR_INFO = "Please check developers.pipedrive.com"


class SandboxHTTPError(Exception):
    """An HTTP error answer with a JSON body shaped like Pipedrive's."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body.get("error", status)))
        self.status = status
        self.body = body
        self.headers = headers or {}


def v1_error(status: int, message: str) -> SandboxHTTPError:
    return SandboxHTTPError(
        status,
        {"success": False, "error": message, "error_info": ERROR_INFO, "data": None, "additional_data": None},
    )


def v2_error(status: int, message: str, code: str) -> SandboxHTTPError:
    return SandboxHTTPError(status, {"success": False, "error": message, "code": code})


def api_error(version: int, status: int, message: str, code: str) -> SandboxHTTPError:
    """The error in the dialect of the API version the request used."""
    return v2_error(status, message, code) if version == 2 else v1_error(status, message)


def validation_failed(version: int, problems: list[str]) -> SandboxHTTPError:
    text = "Validation failed: " + "; ".join(problems)
    return api_error(version, 400, text, "ERR_SCHEMA_VALIDATION_FAILED")


def bad_request(version: int, message: str) -> SandboxHTTPError:
    return api_error(version, 400, message, "ERR_BAD_REQUEST")


def not_found(version: int, message: str) -> SandboxHTTPError:
    # v2 not-found code is unconfirmed (docs/pipedrive-api.md#errors); ERR_NOT_FOUND is the stated guess.
    return api_error(version, 404, message, "ERR_NOT_FOUND")


def unauthorized() -> SandboxHTTPError:
    # Shape observed live (docs/pipedrive-api.md#errors), including the gateway marker header.
    return SandboxHTTPError(
        401,
        {"success": False, "error": "unauthorized access", "errorCode": 401, "error_info": ERROR_INFO},
        {"x-401-by-gw": "true"},
    )
