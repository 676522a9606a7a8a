"""Persistence for hosts: the agents that hold sandboxes, and each sandbox as its agent reports it.

A Host row is written by its agent (registration, heartbeat) and by an admin (drain). A Placement row
is created by the web tier when it places a new sandbox, then kept current by the agent holding it: the
lab and step it is on, its network hosts, health, and for a cluster its stored objects. The web tier reads
these rows instead of the kernel host's files: it may run on another machine.
"""

from __future__ import annotations

from django.db import models


class Host(models.Model):
    """A kernel host: one ``podpath agent``, listening on the channel ``podpath-agent.<host_id>``."""

    host_id = models.CharField(max_length=63, unique=True)
    sandboxes = models.PositiveIntegerField(default=50, help_text="how many sandboxes it may hold")
    memory_mb = models.PositiveIntegerField(default=0)
    cores = models.PositiveSmallIntegerField(default=0)
    drained = models.BooleanField(default=False, help_text="no new sandboxes go here")
    started = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    # What the host said at its last heartbeat.
    memory_available_mb = models.PositiveIntegerField(default=0)
    namespaces = models.PositiveIntegerField(default=0)
    load = models.FloatField(default=0.0)

    class Meta:
        ordering = ["host_id"]

    def __str__(self) -> str:
        return self.host_id


class Placement(models.Model):
    """Where sandbox ``name`` lives, and its state as that host last reported it."""

    name = models.CharField(max_length=16, unique=True)
    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="placements")
    lab = models.CharField(max_length=50, blank=True, help_text="the lab it follows ('' for none)")
    kind = models.CharField(max_length=16, blank=True, help_text="'cluster' for a Kubernetes sandbox")
    step = models.PositiveIntegerField(null=True, blank=True, help_text="None until its first build finishes")
    net_hosts = models.JSONField(default=list, help_text="the sandbox's own hosts (network namespaces)")
    namespaces = models.PositiveIntegerField(default=0)
    health = models.CharField(max_length=32, default="building")
    cluster = models.TextField(blank=True, help_text="a cluster sandbox's objects (netcore.kube Cluster JSON)")
    meta = models.JSONField(default=dict, blank=True)
    desired = models.JSONField(
        default=dict, blank=True, help_text='the job that builds it from nothing: {"job": ..., "args": {...}}'
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}@{self.host_id}"
