"""Export delay: time between a render completing and its download starting.

Renders finish at random times (uniform 30-90 s, the seed's range) on the fake
NemoVideo server, over real HTTP on loopback. Time is simulated (one clock shared by
the server and the backend, a sleeper that advances it), so the run takes seconds.

Compared in the same process:
- ``adaptive``: ``CloudBackend.wait_render`` (3 s first look, back-off to 30 s, aiming at
  the finish predicted from the reported progress);
- ``adaptive_no_progress``: the same when the server reports no progress (back-off only);
- ``baseline``: the seed's loop, a look every 30 s.

Prints one JSON line. Target: median adaptive delay ≤ 3 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import structlog  # noqa: E402

from skill.backend import RenderStatus  # noqa: E402
from skill.cloud import CloudBackend  # noqa: E402
from skill.draft import decode_draft  # noqa: E402
from skill.manifest import load_manifest  # noqa: E402
from skill.store import Store  # noqa: E402
from tests.fake_nemo import FakeNemo, SimClock  # noqa: E402

RENDERS = 40
DRAFT = {"t": [{"tt": 0, "m": {"name": "a.mp4"}, "sg": [{"s": 0, "d": 10000, "m": {}}]}]}


async def _one_mode(fake: FakeNemo, sim: SimClock, home: Path, durations: list[float],
                    mode: str) -> list[float]:
    fake.reset(clock=sim.now, report_progress=(mode != "adaptive_no_progress"),
               download_size=4096)
    backend = CloudBackend(httpx.AsyncClient(timeout=10), Store(home), load_manifest(),
                           base_url=fake.base_url, sleep=sim.sleep, clock=sim.now)
    delays = []
    try:
        for i, seconds in enumerate(durations):
            fake.render_seconds = seconds
            job = await backend.submit_render(decode_draft(DRAFT))
            if mode == "baseline":
                while True:  # the seed: poll every 30 s until completed
                    await sim.sleep(30.0)
                    status: RenderStatus = await backend.render_status(job)
                    if status.status in ("completed", "failed"):
                        break
            else:
                status = await backend.wait_render(job)
            await backend.download(status.url, home / f"{mode}-{i}.mp4")
            record = fake.jobs[job.id]
            assert record.download_started is not None
            delays.append(record.download_started - record.done_at)
    finally:
        await backend.aclose()
    return delays


async def main() -> dict[str, object]:
    rng = random.Random(20240611)
    durations = [rng.uniform(30.0, 90.0) for _ in range(RENDERS)]
    fake = FakeNemo()
    results: dict[str, list[float]] = {}
    with fake.serve(), tempfile.TemporaryDirectory() as tmp:
        for mode in ("adaptive", "adaptive_no_progress", "baseline"):
            sim = SimClock()
            home = Path(tmp) / mode
            home.mkdir()
            results[mode] = await _one_mode(fake, sim, home, durations, mode)

    def summary(values: list[float]) -> dict[str, float]:
        return {"median_s": round(statistics.median(values), 2),
                "mean_s": round(statistics.fmean(values), 2),
                "max_s": round(max(values), 2)}

    return {
        "bench": "export_delay",
        "renders": RENDERS,
        "render_seconds": "uniform 30-90",
        "median_delay_s": summary(results["adaptive"])["median_s"],
        "target_median_s": 3.0,
        "adaptive": summary(results["adaptive"]),
        "adaptive_no_progress": summary(results["adaptive_no_progress"]),
        "baseline_fixed_30s": summary(results["baseline"]),
    }


if __name__ == "__main__":
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(json.dumps(asyncio.run(main())))
