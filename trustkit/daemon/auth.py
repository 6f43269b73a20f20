"""API tokens, policies and per-token rate limits.

* Tokens are 256 random bits (``tk.<base64url>``).  Storage holds only HMAC-SM3(pepper, token),
  so a copy of the database does not yield usable tokens; the pepper lives outside the
  database (a file or the environment).
* A policy is a list of rules ``{"keys": "<glob>", "operations": [...]}``; a request is allowed
  when some rule of some policy of the token matches the key name (``fnmatch`` glob) and lists
  the operation.  ``root`` is built in and allows everything.
* Each token may carry a rate (requests per second, burst = max(1, rate)); excess requests
  get 429 with ``Retry-After``.  Tokens may expire (``ttl``) or be limited to ``num_uses``
  (a replayed single-use token is refused).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import math
import os
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trustkit.daemon.storage import Storage, TokenRecord
from trustkit.errors import (
    InvalidRequestError,
    PermissionDeniedError,
    RateLimitedError,
)
from trustkit.primitives import sm3

__all__ = ["OPERATIONS", "Authenticator", "Policy", "Principal", "Rule", "parse_policy"]

#: Operations a rule may grant.  ``sys``: seal, tokens, policies.
OPERATIONS = frozenset({"read", "list", "create", "update", "delete", "sign", "verify", "export", "stamp",
                        "timestamp", "sys"})
_TOKEN_PREFIX = "tk."
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Rule:
    keys: str
    operations: frozenset[str]


@dataclass(frozen=True)
class Policy:
    name: str
    rules: tuple[Rule, ...]

    def allows(self, operation: str, key: str) -> bool:
        return any(operation in rule.operations and fnmatch.fnmatchcase(key, rule.keys) for rule in self.rules)


ROOT = Policy("root", (Rule("*", OPERATIONS),))


def parse_policy(name: str, document: str | dict[str, Any]) -> Policy:
    """Parse ``{"rules": [{"keys": "seal-*", "operations": ["sign", "verify"]}]}`` (JSON text or dict).

    :raises InvalidRequestError: malformed document or unknown operation.
    """
    try:
        data = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        raise InvalidRequestError("policy must be JSON: {\"rules\": [{\"keys\": GLOB, \"operations\": [...]}]}") \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InvalidRequestError("policy must be an object with a \"rules\" list")
    rules = []
    for rule in data["rules"]:
        if not isinstance(rule, dict) or not isinstance(rule.get("keys"), str) \
                or not isinstance(rule.get("operations"), list):
            raise InvalidRequestError("each rule needs \"keys\" (a glob) and \"operations\" (a list)")
        ops = frozenset(str(op) for op in rule["operations"])
        unknown = ops - OPERATIONS
        if unknown:
            raise InvalidRequestError(f"unknown operations {sorted(unknown)}; known: {sorted(OPERATIONS)}")
        rules.append(Rule(rule["keys"], ops))
    return Policy(name, tuple(rules))


@dataclass
class Principal:
    """An authenticated token: its stored record and resolved policies."""

    token: TokenRecord
    policies: tuple[Policy, ...]
    checked_at: float

    def allows(self, operation: str, key: str = "") -> bool:
        return any(policy.allows(operation, key) for policy in self.policies)


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, capacity: float) -> None:
        self.tokens = capacity
        self.stamp = time.monotonic()


class Authenticator:
    """Token issue, lookup (cached briefly), policy checks and rate limiting; thread-safe."""

    def __init__(self, storage: Storage, pepper: bytes, *, clock: Any = time.time) -> None:
        if len(pepper) < 16:
            raise ValueError("the token pepper must have at least 16 bytes")
        self._storage = storage
        self._pepper = pepper
        self._clock = clock
        self._cache: dict[str, Principal] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def token_id(self, token: str) -> str:
        """HMAC-SM3(pepper, token), the only form in which tokens are stored (memoised briefly)."""
        token_id = self._ids.get(token)
        if token_id is None:
            token_id = sm3.hmac(self._pepper, token.encode("utf-8")).hex()
            if len(self._ids) > 4096:
                self._ids.clear()
            self._ids[token] = token_id
        return token_id

    def create_token(self, policies: Sequence[str], *, ttl: float | None = None, num_uses: int = 0,
                     rate_limit: float = 0.0, display_name: str = "token") -> tuple[str, TokenRecord]:
        """Issue a new token; the clear token is returned once and never stored.

        :raises InvalidRequestError: an unknown policy name.
        """
        for name in policies:
            if name != "root" and self._storage.policy_get(name) is None:
                raise InvalidRequestError(f"unknown policy {name!r}")
        if num_uses < 0 or rate_limit < 0 or (ttl is not None and ttl <= 0):
            raise InvalidRequestError("ttl, num_uses and rate_limit must be positive")
        token = _TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        now = self._clock()
        record = TokenRecord(id=self.token_id(token), accessor=os.urandom(12).hex(), policies=tuple(policies),
                             created=now, expires=None if ttl is None else now + ttl, num_uses=num_uses,
                             rate_limit=float(rate_limit), display_name=display_name)
        self._storage.token_put(record)
        return token, record

    def revoke(self, token: str) -> None:
        token_id = self.token_id(token)
        self._storage.token_delete(token_id)
        with self._lock:
            self._cache.pop(token_id, None)

    def _policies(self, names: Iterable[str]) -> tuple[Policy, ...]:
        out = []
        for name in names:
            if name == "root":
                out.append(ROOT)
                continue
            document = self._storage.policy_get(name)
            if document is not None:
                out.append(parse_policy(name, document))
        return tuple(out)

    def authenticate(self, token: str | None) -> Principal:
        """Resolve a token, consuming one use of a limited-use token.

        :raises PermissionDeniedError: missing, unknown, expired or used-up token.
        """
        if not token:
            raise PermissionDeniedError("permission denied")
        token_id = self.token_id(token)
        now = self._clock()
        principal = self._cache.get(token_id)
        if principal is None or time.monotonic() - principal.checked_at > _CACHE_SECONDS or principal.token.num_uses:
            record = self._storage.token_get(token_id)
            if record is None:
                with self._lock:
                    self._cache.pop(token_id, None)
                raise PermissionDeniedError("permission denied")
            principal = Principal(record, self._policies(record.policies), time.monotonic())
            with self._lock:
                self._cache[token_id] = principal
        if principal.token.expires is not None and now >= principal.token.expires:
            raise PermissionDeniedError("permission denied: token expired")
        if principal.token.num_uses < 0 or (principal.token.num_uses and not self._storage.token_use(token_id)):
            raise PermissionDeniedError("permission denied: token has no uses left")
        return principal

    def authorize(self, principal: Principal, operation: str, key: str = "") -> None:
        """:raises PermissionDeniedError: no policy of the token allows ``operation`` on ``key``."""
        if not principal.allows(operation, key):
            raise PermissionDeniedError("permission denied")

    def check_rate(self, principal: Principal) -> None:
        """Token bucket per token (rate per second, burst max(1, rate)).

        :raises RateLimitedError: with ``retry_after`` in whole seconds (at least 1).
        """
        rate = principal.token.rate_limit
        if rate <= 0:
            return
        capacity = max(1.0, rate)
        with self._lock:
            bucket = self._buckets.get(principal.token.id)
            if bucket is None:
                bucket = self._buckets[principal.token.id] = _Bucket(capacity)
            now = time.monotonic()
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = (1.0 - bucket.tokens) / rate
        raise RateLimitedError("rate limit exceeded", retry_after=float(max(1, math.ceil(wait))))

    def put_policy(self, name: str, document: str | dict[str, Any]) -> Policy:
        if name == "root" or not name or "/" in name:
            raise InvalidRequestError("cannot update this policy")
        policy = parse_policy(name, document)
        text = document if isinstance(document, str) else json.dumps(document)
        self._storage.policy_put(name, text)
        with self._lock:
            self._cache.clear()
        return policy

    def get_policy(self, name: str) -> str | None:
        if name == "root":
            return json.dumps({"rules": [{"keys": "*", "operations": sorted(OPERATIONS)}]})
        return self._storage.policy_get(name)

    def delete_policy(self, name: str) -> None:
        if name == "root":
            raise InvalidRequestError("cannot delete the root policy")
        self._storage.policy_delete(name)
        with self._lock:
            self._cache.clear()
