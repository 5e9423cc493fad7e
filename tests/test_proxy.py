"""Preview proxies: made once per clip, used only by previews, same picture and sync."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from skill.engine.probe import probe
from skill.engine.proxy import proxy_argv, proxy_path
from skill.engine.render import RenderOptions, render
from tests import media


def _draft(src: Path) -> dict[str, object]:
    return {"t": [{"tt": 0, "m": {"name": "c"},
                   "sg": [{"s": 0, "d": 1000, "m": {"src": str(src), "kind": "video"}}]}],
            "m": {"ratio": "9:16", "w": 1080, "h": 1920}}


def test_proxy_argv_is_half_size_upright_and_fast_to_decode(tmp_path: Path) -> None:
    src = media.rotated_clip(tmp_path / "rot.mp4")
    p = probe(src)
    argv = proxy_argv("ffmpeg", src, tmp_path / "p.mp4", p)
    assert argv[argv.index("-vf") + 1] == f"scale={p.width // 2 // 2 * 2}:{p.height // 2 // 2 * 2}:flags=fast_bilinear,format=yuv420p"
    assert argv[argv.index("-bf") + 1] == "0" and "fastdecode" in argv
    assert "0:a:0?" in argv  # clips without sound still get a proxy


def test_preview_uses_a_cached_proxy_and_full_renders_never_do(tmp_path: Path) -> None:
    src = media.rotated_clip(tmp_path / "rot.mp4")
    proxies = tmp_path / "proxies"
    kw = {"work_dir": tmp_path / "w", "music_dir": tmp_path / "m", "proxy_dir": proxies}
    first = asyncio.run(render(_draft(src), tmp_path / "p1.mp4",
                               options=RenderOptions(preview=True), **kw))  # type: ignore[arg-type]
    made = sorted(proxies.glob("*.mp4"))
    assert made == [proxy_path(src, proxies)]
    assert str(made[0]) in first.argv and str(src) not in first.argv
    assert first.violations == [] and (first.probe.width, first.probe.height) == (540, 960)
    stamp = made[0].stat().st_mtime_ns
    second = asyncio.run(render(_draft(src), tmp_path / "p2.mp4",
                                options=RenderOptions(preview=True), **kw))  # type: ignore[arg-type]
    assert made[0].stat().st_mtime_ns == stamp and second.violations == []
    full = asyncio.run(render(_draft(src), tmp_path / "f.mp4", **kw))  # type: ignore[arg-type]
    assert str(src) in full.argv and str(made[0]) not in full.argv
    # The proxy shows the same upright picture: left of the display is red, as in the source.
    frame = media.frames_rgb(second.path, [0.5])[0].astype(int)
    ref = media.frames_rgb(full.path, [0.5])[0].astype(int)
    small = ref[::2, ::2][: frame.shape[0], : frame.shape[1]]
    assert np.abs(frame - small).mean() < 12


def test_a_proxy_that_cannot_be_made_falls_back_to_the_source(tmp_path: Path) -> None:
    src = media.plain_clip(tmp_path / "a.mp4")
    blocker = tmp_path / "proxies"
    blocker.write_text("a file where the proxy folder should be")
    rep = asyncio.run(render(_draft(src), tmp_path / "p.mp4", work_dir=tmp_path / "w",
                             music_dir=tmp_path / "m", options=RenderOptions(preview=True),
                             proxy_dir=blocker))
    assert rep.violations == [] and str(src) in rep.argv
