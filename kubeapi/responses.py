"""HTTP answers as the API server sends them: JSON bodies, Status errors, Warning headers (pure)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from netcore.kube.rest.status import status_object


def json_response(
    code: int, body: Any, *, warnings: list[str] | None = None, content_type: str = "application/json"
) -> HttpResponse:
    response = HttpResponse(json.dumps(body, separators=(",", ":")), status=code, content_type=content_type)
    for warning in warnings or []:
        # RFC 7234 warn-code 299 with agent "-": kubectl prints the text as "Warning: ...".
        response.headers.setdefault("Warning", "")
        text = '299 - "' + warning.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        response.headers["Warning"] = f"{response.headers['Warning']}, {text}" if response.headers["Warning"] else text
    return response


def status_response(reason: str, message: str, details: dict[str, Any] | None = None) -> HttpResponse:
    body = status_object(reason, message, details)
    return json_response(body["code"], body)
