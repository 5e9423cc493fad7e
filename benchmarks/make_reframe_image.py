"""Make docs/images/reframe-before-after.jpg from real renders (run by hand).

The test clip (tests/vision_media.face_walk: a real face walking across a 16:9
landscape) is analysed and rendered to 9:16 twice by the local engine — the crop
following the subject, and the centre crop — and one moment where the centre crop cuts
the face is put side by side: the source frame with both crops drawn on it (red:
centre, green: followed), then the two rendered frames.

    python benchmarks/make_reframe_image.py [--at 1.7] [-o docs/images/reframe-before-after.jpg]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.draft import Draft, decode_draft  # noqa: E402
from skill.engine.ops.draftedit import settle  # noqa: E402
from skill.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from skill.engine.render.fonts import find_font  # noqa: E402
from skill.engine.render.pipeline import RenderOptions, render  # noqa: E402
from skill.engine.vision import analysis  # noqa: E402
from skill.engine.vision.camera import plan_path, position_at  # noqa: E402
from skill.engine.vision.reframe import crop_width  # noqa: E402
from tests.vision_media import face_walk  # noqa: E402

W, H = 1280, 720
SHOW_H = 360             # every panel is this tall


def reel(src: Path, mode: str) -> Draft:
    return settle(decode_draft({"t": [{"tt": 0, "sg": [{"s": 0, "d": 6000,
                                                       "m": {"src": str(src), "name": src.name}}]}],
                                "m": {"ratio": "9:16", "fit": "crop", "reframe": mode}}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--at", type=float, default=1.7, help="the moment shown (seconds)")
    ap.add_argument("-o", "--out", default=str(ROOT / "docs" / "images" /
                                               "reframe-before-after.jpg"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ["IGEDIT_HOME"] = str(tmp / "home")
        src = face_walk(tmp / "wide.mp4")
        found = analysis.analyse_cached(src)
        for mode in ("subject", "center"):
            report = asyncio.run(render(reel(src, mode), tmp / f"{mode}.mp4",
                                        work_dir=tmp / "work", music_dir=tmp / "music",
                                        options=RenderOptions()))
            assert report.ok, report.violations
        share = crop_width(W, H, 1080, 1920)
        cw = int(H * 1080 / 1920) // 2 * 2
        follow = position_at(plan_path(found.subjects, found.cuts, found.duration, share),
                             args.at)
        scale = SHOW_H / H
        boxes = {"red": (W - cw) / 2, "green": min(W - cw, max(0.0, follow * W - cw / 2))}
        draw = ",".join(f"drawbox=x={int(x * scale)}:y=0:w={int(cw * scale)}:h={SHOW_H}:"
                        f"color={c}:t=3" for c, x in boxes.items())
        font = find_font("Before after").path
        pw = int(SHOW_H * 1080 / 1920) // 2 * 2

        def label(text: str, colour: str) -> str:
            note = tmp / f"label-{colour}.txt"   # a file: no escaping of ':' in the text
            note.write_text(text, encoding="utf-8")
            return (f"pad=iw:ih+28:0:28:white,drawtext=fontfile='{font}':textfile='{note}':"
                    f"x=6:y=6:fontsize=16:fontcolor={colour}")

        graph = (f"[0:v]scale={int(W * scale)}:{SHOW_H},{draw},"
                 f"{label('source 16:9 (red: centre crop, green: followed)', 'black')}[s];"
                 f"[1:v]scale={pw}:{SHOW_H},{label('before: centre', 'red')}[c];"
                 f"[2:v]scale={pw}:{SHOW_H},{label('after: follows', 'green')}[f];"
                 "[s]pad=iw+12:ih:0:0:white[s2];[c]pad=iw+12:ih:0:0:white[c2];"
                 "[s2][c2][f]hstack=3")
        at = f"{args.at:.3f}"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y",
                        "-ss", at, "-i", str(src), "-ss", at, "-i", str(tmp / "center.mp4"),
                        "-ss", at, "-i", str(tmp / "subject.mp4"),
                        "-filter_complex", graph, "-frames:v", "1", "-q:v", "4", args.out],
                       check=True)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
