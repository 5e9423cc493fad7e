"""The NemoVideo token: ``NEMO_TOKEN``, a stored unexpired token, or a fresh anonymous one.

Store document ``auth`` (written 0600 by :class:`skill.store.Store`)::

    {"client_id": "<uuid>", "token": "nmv_usr_…", "expires_at": <epoch s>,
     "user_id": "anon_…", "registered": false, "api_base": "https://…"}

A stored token is only reused against the API base it was issued by, so a token
for one server is never sent to another ``NEMO_API_URL``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from ..backend import Sleeper
from ..errors import ApiError, AuthError
from ..redact import register_secret
from ..store import Store
from .errortable import Failure, lookup, to_exception
from .retry import RetryState, decide
from .transport import call_json

log = structlog.get_logger(__name__)

ANON_PATH = "/api/auth/anonymous-token"
TOKEN_LIFETIME_S = 7 * 24 * 3600
EXPIRY_MARGIN_S = 300.0


def parse_expiry(value: Any, now: float) -> float:
    """Epoch seconds from an ``expires_at`` (epoch s/ms or ISO 8601); 7 days if unknown."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000.0 if value > 1e12 else float(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return now + TOKEN_LIFETIME_S
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)
            return stamp.timestamp()
        return parse_expiry(number, now)
    return now + TOKEN_LIFETIME_S


class TokenKeeper:
    """Finds, stores and renews the bearer token for one API base."""

    def __init__(
        self, client: httpx.AsyncClient, store: Store, *, base_url: str,
        headers: dict[str, str], sleep: Sleeper,
        wall: Callable[[], float] = time.time,
        on_setup: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.base_url = base_url
        self.headers = headers
        self.sleep = sleep
        self.wall = wall
        self.on_setup = on_setup
        self.from_env = False
        self.user_id = ""
        self.registered: bool | None = None
        self._token: str | None = None

    # -- public ----------------------------------------------------------
    def cached(self) -> str | None:
        """A token usable without any network call, or None."""
        if self._token:
            return self._token
        env = os.environ.get("NEMO_TOKEN", "").strip()
        if env:
            self.from_env = True
            register_secret(env)
            self._token = env
            return env
        doc = self.store.read("auth")
        token = doc.get("token")
        expires = doc.get("expires_at")
        if (isinstance(token, str) and token and doc.get("api_base") == self.base_url
                and isinstance(expires, int | float)
                and expires > self.wall() + EXPIRY_MARGIN_S):
            register_secret(token)
            self._token = token
            self.user_id = str(doc.get("user_id") or "")
            reg = doc.get("registered")
            self.registered = reg if isinstance(reg, bool) else None
            return token
        return None

    async def token(self) -> str:
        """The current token, fetching an anonymous one when none is usable."""
        return self.cached() or await self._fetch()

    async def refresh(self) -> str:
        """A new anonymous token with the same client id (after a 1001)."""
        if self.from_env:
            raise AuthError("NEMO_TOKEN was refused", code=1001)
        self._token = None
        log.info("cloud.token_refresh")
        return await self._fetch()

    def client_id(self) -> str:
        """``NEMO_CLIENT_ID``, else the stored one, else a new UUID kept in the store."""
        env = os.environ.get("NEMO_CLIENT_ID", "").strip()
        if env:
            return env
        with self.store.update("auth") as doc:
            cid = doc.get("client_id")
            if not isinstance(cid, str) or not cid:
                cid = str(uuid.uuid4())
                doc["client_id"] = cid
        return cid

    # -- internals -------------------------------------------------------
    def _new_client_id(self) -> str:
        cid = str(uuid.uuid4())
        with self.store.update("auth") as doc:
            doc["client_id"] = cid
        log.info("cloud.client_id_regenerated")
        return cid

    async def _fetch(self) -> str:
        if self.on_setup is not None:
            self.on_setup()
        cid = self.client_id()
        state = RetryState()
        url = self.base_url + ANON_PATH
        while True:
            reply = await call_json(self.client, "POST", url,
                                    headers={**self.headers, "X-Client-Id": cid})
            data = reply.data if reply.ok else None
            if reply.ok and isinstance(data, dict) and isinstance(data.get("token"), str):
                return self._keep(cid, data)
            failure = reply.failure or Failure(None, 200, "no token in the answer")
            rule = lookup(failure)
            step = decide(rule, state, auth_request=True)
            if step == "new_client_id":
                cid = self._new_client_id()
                continue
            if step == "wait":
                log.info("cloud.rate_limited", wait_s=rule.delay)
                await self.sleep(rule.delay)
                continue
            if reply.ok:  # 200 without a token: a server problem, not the user's
                raise ApiError("the token answer had no token", status=200)
            raise to_exception(rule, failure)

    def _keep(self, cid: str, data: dict[str, Any]) -> str:
        token = str(data["token"])
        register_secret(token)
        now = self.wall()
        expires = parse_expiry(data.get("expires_at"), now)
        self.user_id = str(data.get("user_id") or "")
        self.registered = False
        self._token = token
        with self.store.update("auth") as doc:
            doc.update(client_id=cid, token=token, expires_at=expires,
                       user_id=self.user_id, registered=False, api_base=self.base_url)
        log.info("cloud.token_obtained", user_id=self.user_id)
        return token
