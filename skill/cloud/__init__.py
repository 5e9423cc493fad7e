"""The NemoVideo cloud backend.

Modules: ``client`` (:class:`CloudBackend`), ``auth`` (token lifecycle), ``sse``
(``/run_sse`` streaming and a tolerant line decoder), ``upload`` (streamed multipart),
``render`` (status shapes, adaptive polling, downloads), ``errortable`` (the error
table and envelopes), ``retry`` (the retry policy), ``transport`` (httpx helpers).
"""

from __future__ import annotations

from .client import CloudBackend

__all__ = ["CloudBackend"]
