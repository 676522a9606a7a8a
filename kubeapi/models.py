"""Persistence for the Kubernetes API: the bearer tokens kubectl presents, stored hashed."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class KubeToken(models.Model):
    """A user's token for one sandbox's API; only its SHA-256 is kept, the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kube_tokens")
    sandbox = models.ForeignKey("labs.Sandbox", on_delete=models.CASCADE, related_name="kube_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "sandbox"], name="one_kube_token_per_user_sandbox")]

    def __str__(self) -> str:
        return f"{self.user} on {self.sandbox}"
