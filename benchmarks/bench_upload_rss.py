"""Peak RSS of a process uploading a 500 MB file to the fake NemoVideo server.

The parent runs the fake server (real uvicorn on loopback) and creates a sparse
500 MB ``.mp4``; a child process (``--child``) builds a ``CloudBackend`` and uploads
it, then reports its peak RSS (``ru_maxrss``) and its RSS just before the upload
(the baseline: interpreter + imports + connected backend). Target: peak ≤ 120 MB.

Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 500 * 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(base_url: str, path: str, home: str) -> None:
    import httpx
    import structlog

    from skill.cloud import CloudBackend
    from skill.manifest import load_manifest
    from skill.store import Store

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    async def run() -> dict[str, float]:
        backend = CloudBackend(httpx.AsyncClient(timeout=60), Store(home), load_manifest(),
                               base_url=base_url)
        await backend.ready()
        before = _rss_mb()
        started = time.perf_counter()
        media = await backend.upload([path])
        elapsed = time.perf_counter() - started
        await backend.aclose()
        assert media and media[0].name == Path(path).name
        return {"baseline_rss_mb": round(before, 1), "seconds": round(elapsed, 2)}

    out = asyncio.run(run())
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def main() -> dict[str, object]:
    from tests.fake_nemo import FakeNemo

    fake = FakeNemo()
    with fake.serve(), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.mp4"
        with path.open("wb") as fh:
            fh.write(MP4_HEAD)
            fh.truncate(SIZE)  # sparse: costs no disk
        env = {**os.environ, "IGEDIT_HOME": str(Path(tmp) / "home")}
        # argv list, no shell; the command is this very script.
        proc = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--child", fake.base_url, str(path), env["IGEDIT_HOME"]],
            check=True, capture_output=True, text=True, env=env, timeout=600)
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        received = [r.body for r in fake.requests if r.path.startswith("/api/upload-video/")]
    assert received and received[0]["multipart"][0]["size"] == SIZE
    return {"bench": "upload_rss", "file_mb": SIZE // (1024 * 1024),
            "peak_rss_mb": got["peak_rss_mb"], "baseline_rss_mb": got["baseline_rss_mb"],
            "target_peak_mb": 120, "upload_seconds": got["seconds"],
            "mb_per_s": round(SIZE / 1024 / 1024 / got["seconds"], 1)}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        logging.getLogger("uvicorn").setLevel(logging.WARNING)
        print(json.dumps(main()))
