"""NetworkPolicy -> each node's nftables filter chains (pure).

Placeholder: enforcement arrives with the NetworkPolicy work; until then no chains are rendered and
every pod is non-isolated, as in a cluster without policies.
"""

from __future__ import annotations


def render_policy_chains(cluster, node: str) -> str:
    """Return the policy chains for the pods on ``node`` ("" when no pod there is isolated)."""
    return ""
