"""A scripted agent host with no model (issue 12, done-when): it lists the ops, uploads the
sample clip, applies an ops array (reframe, music, title), reads the structured timeline,
looks at a contact sheet, exports and probes the MP4 — all through ``igedit`` processes
and their ``--json`` output, as a host would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from skill.engine.render.sheet import PAD, sheet_layout

ROOT = Path(__file__).resolve().parent.parent


def igedit(cwd: Path, *args: str, stdin: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "--json", *args],
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, input=stdin,
                          capture_output=True, text=True, timeout=300, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, lines


def thumbnails_in(png: Path, row: int, background: tuple[int, int, int]) -> list[int]:
    """Widths of the runs of non-background pixels along one row of the sheet."""
    import av

    with av.open(str(png)) as container:
        frame = next(container.decode(video=0))
        pixels = frame.to_ndarray(format="rgb24")
    line = pixels[row].astype(int)
    is_bg = np.all(np.abs(line - np.array(background)) <= 2, axis=1)
    runs, width = [], 0
    for bg in is_bg:
        if bg and width:
            runs.append(width)
            width = 0
        elif not bg:
            width += 1
    if width:
        runs.append(width)
    return runs


def test_a_scripted_host_plans_with_typed_ops_looks_and_exports(tmp_path: Path) -> None:
    import av

    # 1. what can I do?
    code, out = igedit(tmp_path, "ops")
    assert code == 0
    ops = {op["name"]: op for op in out[0]["ops"]}
    assert {"set_aspect", "add_music", "add_title"} <= set(ops)
    assert ops["set_aspect"]["schema"]["properties"]["ratio"]["enum"]

    # 2. the user's clip
    code, _ = igedit(tmp_path, "sample", "-o", "clip.mp4", "--seconds", "4")
    assert code == 0
    code, out = igedit(tmp_path, "upload", str(tmp_path / "clip.mp4"))
    assert code == 0 and out[-1]["kind"] == "text" and "clip.mp4" in out[-1]["text"]

    # 3. the host's own plan, as typed ops
    edits = [{"op": "set_aspect", "args": {"ratio": "1:1", "fit": "crop", "target": "square"}},
             {"op": "add_music", "args": {"mood": "upbeat", "volume_pct": 25}},
             {"op": "add_title", "args": {"text": "Urban Dreams", "position": "top",
                                          "end_ms": 2500}}]
    code, out = igedit(tmp_path, "edit", "--ops", "-", stdin=json.dumps(edits))
    assert code == 0, out
    assert not [line for line in out if line["kind"] in ("error", "not_done")]

    # 4. read the timeline back
    code, out = igedit(tmp_path, "status")
    assert code == 0
    [summary] = [line for line in out if line["kind"] == "summary"]
    tl = summary["data"]["timeline"]
    assert tl["schema"] == "igedit.timeline/1"
    assert tl["canvas"] == {"ratio": "1:1", "width": 1080, "height": 1080, "fit": "crop",
                            "fps": 30, "target": "square"}
    assert tl["duration_ms"] == 4000
    assert [c["source"] for c in tl["clips"]] == ["clip.mp4"]
    assert tl["clips"][0]["in_ms"] == 0 and tl["clips"][0]["out_ms"] == 4000
    assert tl["music"]["mood"] == "upbeat" and tl["music"]["volume_pct"] == 25
    assert tl["texts"] == [{"role": "title", "text": "Urban Dreams", "start_ms": 0,
                            "end_ms": 2500, "position": "top"}]

    # 5. look at it
    code, out = igedit(tmp_path, "preview", "--sheet", "-o", "sheet.png", "--frames", "5")
    assert code == 0, out
    [sheet] = [line for line in out if line["kind"] == "file"]
    png = tmp_path / "sheet.png"
    assert sheet["file"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    layout = sheet_layout(540, 540, 4000, 5)          # the preview canvas of a 1:1 edit
    assert (sheet["data"]["width"], sheet["data"]["height"]) == (layout.width, layout.height)
    with av.open(str(png)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (
            layout.width, layout.height)
    assert sheet["data"]["times_ms"] == [400, 1200, 2000, 2800, 3600]
    runs = thumbnails_in(png, PAD + layout.thumb_h // 2, (0x1C, 0x1C, 0x1C))
    assert len([r for r in runs if r >= layout.thumb_w * 0.9]) == 5     # five frames
    wave_row = layout.thumb_h + 2 * PAD + layout.wave_h // 2
    with av.open(str(png)) as container:
        pixels = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert (pixels[wave_row, :, 2] > 200).sum() > layout.width // 4   # the waveform is there

    # 6. export and probe
    code, out = igedit(tmp_path, "export", "-o", "post.mp4")
    assert code == 0, out
    [done] = [line for line in out if line["kind"] == "file"]
    assert "ready to post as a square Instagram post" in done["text"]
    with av.open(str(tmp_path / "post.mp4")) as container:
        v = container.streams.video[0]
        assert (v.width, v.height) == (1080, 1080)
        assert container.streams.audio
        assert abs(float(container.duration or 0) / 1e6 - 4.0) < 0.2
