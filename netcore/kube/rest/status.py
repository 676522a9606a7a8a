"""Errors as the API server reports them: ``Status`` objects with the reasons kubectl prints (pure).

kubectl shows ``Error from server (NotFound): pods "x" not found`` from ``reason`` and ``message``; for
``Invalid`` it lists ``details.causes`` (field and message), so a refused manifest names its field.
"""

from __future__ import annotations

from typing import Any

from netcore.errors import AlreadyExists, NotFound, PodpathError, SpecError

REASON_CODES = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "NotAcceptable": 406,
    "AlreadyExists": 409,
    "Conflict": 409,
    "UnsupportedMediaType": 415,
    "Invalid": 422,
    "InternalError": 500,
    "Timeout": 504,
}


class ApiError(PodpathError):
    """A refusal with the API server's reason, code and details."""

    def __init__(self, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = REASON_CODES[reason]
        self.details = details or {}


def status_object(reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a failure Status as the API server writes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": REASON_CODES[reason],
    }
    if details:
        body["details"] = details
    return body


def success_status(details: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def not_found(resource: str, name: str) -> ApiError:
    return ApiError("NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource})


def already_exists(resource: str, name: str) -> ApiError:
    return ApiError("AlreadyExists", f'{resource} "{name}" already exists', {"name": name, "kind": resource})


def conflict(resource: str, name: str) -> ApiError:
    return ApiError(
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        {"name": name, "kind": resource},
    )


def invalid(kind: str, name: str, errors: list[SpecError]) -> ApiError:
    """An Invalid Status: one cause per refused field, the message listing them as the API server does."""
    causes = [
        {"reason": "FieldValueInvalid", "message": f"Invalid value: {error.expected}", "field": error.field}
        for error in errors
    ]
    listed = "; ".join(f"{c['field']}: {c['message']}" if c["field"] else c["message"] for c in causes)
    message = f'{kind} "{name}" is invalid: ' + (f"[{listed}]" if len(causes) > 1 else listed)
    return ApiError("Invalid", message, {"name": name, "kind": kind, "causes": causes})


def status_of(error: PodpathError, *, kind: str, resource: str, name: str) -> dict[str, Any]:
    """Translate any netcore refusal into the Status the API server would send."""
    if isinstance(error, ApiError):
        return status_object(error.reason, str(error), error.details)
    if isinstance(error, SpecError):
        errors = getattr(error, "errors", None) or [error]
        refused = invalid(kind, name, errors)
        return status_object(refused.reason, str(refused), refused.details)
    if isinstance(error, NotFound):
        return status_object("NotFound", str(error), {"name": name, "kind": resource})
    if isinstance(error, AlreadyExists):
        return status_object("AlreadyExists", str(error), {"name": name, "kind": resource})
    return status_object("BadRequest", str(error))
