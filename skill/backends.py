"""Choosing and building the editing backend: ``cloud``, ``local`` or ``auto``.

``auto`` uses the NemoVideo cloud when its API answers, otherwise the local engine,
with a one-line notice saying which. The choice sticks to the state folder (doc
``backend``) so a session keeps talking to the backend that holds its timeline; it is
re-checked when ``NEMO_API_URL`` changes or after :data:`AUTO_RECHECK_S`.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from .errors import ConfigError, SkillError

if TYPE_CHECKING:
    from .backend import Backend, NoticeCb
    from .manifest import Manifest
    from .runtime import BackendFactory
    from .store import Store

DEFAULT_API = "https://mega-api-prod.nemovideo.ai"
KINDS = ("auto", "cloud", "local")
AUTO_RECHECK_S = 6 * 3600


def api_base() -> str:
    return (os.environ.get("NEMO_API_URL") or DEFAULT_API).rstrip("/")


def cloud_reachable(base: str | None = None, timeout: float = 3.0,
                    headers: dict[str, str] | None = None) -> bool:
    """True when anything answers HTTP at the API base (any status counts).

    ``headers``: the attribution headers, when the caller has the manifest at hand.
    """
    import httpx

    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers) as client:
            client.get(f"{base or api_base()}/api/credits/balance/simple")
    except httpx.HTTPError:
        return False
    return True


def requested_kind(cli_value: str | None) -> str:
    value = (cli_value or os.environ.get("IGEDIT_BACKEND") or "auto").strip().lower()
    if value not in KINDS:
        raise ConfigError(f"unknown backend {value!r}; use auto, cloud or local",
                          key="error_config")
    return value


def resolve(kind: str, store: Store) -> tuple[str, str]:
    """The concrete backend (``cloud``/``local``) and, for auto, why it was chosen."""
    if kind in ("cloud", "local"):
        return kind, ""
    base = api_base()
    doc = store.read("backend")
    fresh = time.time() - float(doc.get("at", 0)) < AUTO_RECHECK_S
    if doc.get("choice") in ("cloud", "local") and doc.get("base") == base and fresh:
        return str(doc["choice"]), ""
    choice = "cloud" if cloud_reachable(base) else "local"
    with store.update("backend") as d:
        d.update({"choice": choice, "base": base, "at": time.time()})
    return choice, "new"


def cloud_known_reachable(store: Store) -> bool:
    """True when the last ``auto`` check (recent, same API base) found the cloud answering.

    No network: the local engine names the cloud in a reply only on this evidence.
    """
    try:
        doc = store.read("backend")
    except SkillError:   # an unreadable state file just means "not known"
        return False
    fresh = time.time() - float(doc.get("at", 0) or 0) < AUTO_RECHECK_S
    return doc.get("choice") == "cloud" and doc.get("base") == api_base() and fresh


def make_factory(kind: str, store: Store, manifest: Manifest | None, lang: str) -> BackendFactory:
    """A factory the :class:`~skill.runtime.Runtime` calls with its notice callback."""

    def factory(notice: NoticeCb) -> Backend:
        if kind == "cloud":
            import httpx

            from .cloud import CloudBackend
            from .manifest import load_manifest

            client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=900.0))
            return CloudBackend(client, store, manifest or load_manifest(), notice=notice,
                                lang=lang)
        from .engine.local import LocalEngine

        engine = LocalEngine(store.home, notice=notice, lang=lang)
        engine.ws.cloud_option = cloud_known_reachable(store)
        return engine

    return factory
