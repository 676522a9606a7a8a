"""Issuing and checking kubectl's bearer tokens (one per user and sandbox; a new one replaces the old)."""

from __future__ import annotations

import hashlib
import secrets

from classrooms.roles import Forbidden, can_use_sandbox
from kubeapi.models import KubeToken
from labs.models import Sandbox

PREFIX = "pp_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kube_token_issue(*, user, sandbox: Sandbox) -> str:
    """Return a new token for ``user`` on ``sandbox`` (the previous one stops working)."""
    if not can_use_sandbox(user, sandbox):
        raise Forbidden(f"{user} may not use sandbox {sandbox.name}")
    token = PREFIX + secrets.token_urlsafe(32)
    KubeToken.objects.update_or_create(user=user, sandbox=sandbox, defaults={"digest": token_digest(token)})
    return token


def kube_token_check(*, sandbox_name: str, authorization: str) -> Sandbox | None:
    """The sandbox an ``Authorization: Bearer`` header opens, if its user may still use it; None otherwise."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip().startswith(PREFIX):
        return None
    found = (
        KubeToken.objects.select_related("user", "sandbox", "sandbox__classroom")
        .filter(digest=token_digest(token.strip()), sandbox__name=sandbox_name)
        .first()
    )
    if found is None or not found.user.is_active or not can_use_sandbox(found.user, found.sandbox):
        return None
    return found.sandbox
