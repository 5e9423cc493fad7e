"""Photos last as long as asked, and the cover path printed is the file that exists
(issue 11 item 12), end to end through ``igedit make`` on the local engine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skill.draft import Draft, encode_draft
from skill.engine.ops import MediaItem, PlanContext, Trim, initial_draft
from skill.engine.render.probe import probe
from tests import media

ROOT = Path(__file__).resolve().parent.parent


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skill", "--backend", "local", "make", *args],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=180)


def test_reel_from_a_photo_lasts_the_seconds_asked(tmp_path: Path) -> None:
    photo = media.still_image(tmp_path / "photo.png")
    out = tmp_path / "reel.mp4"
    done = make(str(photo), "Reel from this photo, 8 seconds long", "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 s" in done.stdout
    p = probe(out, exhaustive=True)
    assert p.frame_count == 8 * 30 and abs(p.video_duration - 8.0) < 0.04
    assert abs(p.audio_duration - 8.0) < 0.04


def _draft_with(*kinds: str) -> tuple[Draft, PlanContext]:
    items = tuple(MediaItem(id=f"m{i}", src=f"/x/{i}", name=f"{i}", kind=k,
                            duration_ms=5000 if k == "video" else 0, width=600, height=800)
                  for i, k in enumerate(kinds))
    ctx = PlanContext(media=items, lang="en")
    return initial_draft(ctx), ctx


def _durations(draft: Draft) -> list[int]:
    return [int(s["d"]) for s in encode_draft(draft)["t"][0]["sg"]]


def test_stills_share_the_extra_time_and_clips_keep_theirs() -> None:
    draft, ctx = _draft_with("image", "image")
    assert _durations(Trim(0, 10_000).apply(draft, ctx)) == [5000, 5000]
    draft, ctx = _draft_with("video", "image")
    assert _durations(Trim(0, 12_000).apply(draft, ctx)) == [5000, 7000]
    draft, ctx = _draft_with("image")
    assert _durations(Trim(0, 2000).apply(draft, ctx)) == [2000]    # shorter: cut as before


def test_cover_path_printed_is_the_file_next_to_the_export(tmp_path: Path) -> None:
    clip = media.plain_clip(tmp_path / "clip.mp4", seconds=2.0)
    out = tmp_path / "post.mp4"
    done = make(str(clip), "use 1 second as the cover", "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    said = re.search(r"Cover image saved to (.+?\.jpg)\.", done.stdout)
    assert said, done.stdout
    cover = Path(said.group(1))
    assert cover == out.with_suffix(".jpg")
    assert cover.read_bytes()[:3] == b"\xff\xd8\xff"
    assert not list(tmp_path.glob(".igedit-export-*"))   # no staging folder left behind


@pytest.mark.parametrize(("said", "lang", "ms"), [
    ("Reel from this photo, 8 seconds long", "en", 8000),
    ("make a 6 second reel", "en", 6000),
    ("an 8-second video from this photo", "en", 8000),
    ("这张照片做成8秒的视频", "zh", 8000),
    ("做一个10秒的Reel", "zh", 10000),
    ("add a 3 second fade in", "en", 3000),      # a fade's length is not the video's
])
def test_ways_of_asking_for_a_photos_length(said: str, lang: str, ms: int) -> None:
    from skill.engine.plan.planner import RulePlanner, apply_plan

    draft, ctx = _draft_with("image")
    ctx = PlanContext(media=ctx.media, lang=lang)
    plan = RulePlanner().plan(said, draft, ctx)
    assert _durations(apply_plan(draft, plan, ctx)) == [ms]
