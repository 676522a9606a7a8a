"""Count failed attempts per key in a fixed window, in Django's cache: sign-in and join codes.

Guessing a password or a join code needs many tries; a few wrong ones per window are a typo. The
cache is per process (the in-memory default) unless CACHES names a shared one, which a deployment
with several web processes should (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failures per ``window_s`` seconds for one key."""

    scope: str
    failures: int
    window_s: int

    def key(self, who: str) -> str:
        """A cache key for any user name or address: hashed, so spaces, control characters and length
        never reach a backend that refuses them (memcached)."""
        digest = hashlib.sha256(who.lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"ratelimit:{self.scope}:{digest}"

    def blocked(self, who: str) -> bool:
        return (cache.get(self.key(who)) or 0) >= self.failures

    def fail(self, who: str) -> None:
        key = self.key(who)
        cache.add(key, 0, self.window_s)  # starts the window on the first failure only
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.window_s)


LOGIN_PER_USER = Limit("login-user", failures=10, window_s=300)
LOGIN_PER_ADDRESS = Limit("login-address", failures=50, window_s=300)
JOIN_PER_USER = Limit("join-user", failures=10, window_s=600)
JOIN_PER_ADDRESS = Limit("join-address", failures=30, window_s=600)  # sign-ups with a wrong code


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"
