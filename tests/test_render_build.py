"""Pure parts of the renderer: argv building, escaping, ASS text, layout, fonts."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from skill.draft import decode_draft
from skill.engine.render import filtergraph as fg
from skill.engine.render.fonts import Font, find_font, has_cjk, pick_font, read_font
from skill.engine.render.pipeline import RenderOptions, build_render, cover_time_ms
from skill.engine.render.probe import Probe
from skill.engine.render.textass import TextEvent, build_ass, escape_ass_text, wrap_text
from skill.errors import ConfigError, InputError

CLIP = "/media/clip.mp4"
MUTE = "/media/mute.mp4"
STILL = "/media/still.png"
PROBES = {
    CLIP: Probe(Path(CLIP), duration=20.0, has_video=True, has_audio=True, width=1080,
                height=1920, fps=30.0, vcodec="h264"),
    MUTE: Probe(Path(MUTE), duration=5.0, has_video=True, has_audio=False, width=320,
                height=181, fps=60.0, vcodec="hevc"),
    STILL: Probe(Path(STILL), has_video=True, is_image=True, width=300, height=400,
                 vcodec="png"),
}
FONT = Font(Path("/fonts/DejaVuSans.ttf"), "DejaVu Sans", cjk=False)


def draft(*video: dict, meta: dict | None = None, extra: list | None = None) -> dict:
    return {"t": [{"tt": 0, "m": {}, "sg": list(video)}, *(extra or [])], "m": meta or {}}


def vseg(src: str, s: int, d: int, **m: object) -> dict:
    return {"s": s, "d": d, "m": {"src": src, **m}}


def build(dr: dict, **kw: object):  # type: ignore[no-untyped-def]
    return build_render(decode_draft(dr), PROBES, Path("/out/o.mp4"), ffmpeg="ffmpeg",
                        work_dir=Path("/work/dir"), music_dir=Path("/music"),
                        font=kw.pop("font", FONT), **kw)  # type: ignore[arg-type]


def graph_of(argv: list[str]) -> list[str]:
    return argv[argv.index("-filter_complex") + 1].split(";")


def opt(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_single_clip_square_argv_whole_values() -> None:
    plan = build(draft(vseg(CLIP, 0, 2000, **{"in": 1500}),
                       meta={"ratio": "1:1", "w": 1080, "h": 1080}))
    argv = plan.argv
    assert argv[:6] == ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss"]
    assert argv[6:11] == ["1.5", "-t", "2.25", "-i", CLIP]
    assert graph_of(argv) == [
        "[0:v:0]setpts=PTS-STARTPTS,fps=30[v0gin]",
        "[v0gin]crop=w='min(iw,trunc(ih*1080/1080))':h='min(ih,trunc(iw*1080/1080))',"
        "scale=1080:1080,setsar=1,format=yuv420p[v0g]",
        "[v0g]tpad=stop_mode=clone:stop=-1,trim=end_frame=60,setpts=PTS-STARTPTS[v0]",
        "[0:a:0]asetpts=PTS-STARTPTS,aresample=48000:async=1:first_pts=0,"
        "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
        "apad=whole_len=96000,atrim=end_sample=96000,asetpts=PTS-STARTPTS[a0]",
        "[v0]null[vcat]", "[a0]anull[acat]",
        "[vcat]setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv,format=yuv420p[vout]",
        # loudness: the measured gain (none given here) and the true-peak limiter;
        # timestamps rebuilt from the sample count, so the track is gapless
        # (one AAC frame faded in and out at the edges: no first-frame overshoot, no click)
        "[acat]afade=t=in:ns=1024,afade=t=out:ss=94976:ns=1024,"
        "alimiter=limit=0.7499:level=false:attack=5:release=50:latency=true,"
        "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
        "apad=whole_len=96000,atrim=end_sample=96000,asetpts=N/48000/TB[aout]",
    ]
    # the measuring pass: the same inputs, the audio half of the graph, the meter
    assert plan.analysis_argv is not None
    assert plan.analysis_argv[plan.analysis_argv.index("-i") - 4:][:6] == \
        ["-ss", "1.5", "-t", "2.25", "-i", CLIP]
    assert graph_of(plan.analysis_argv) == [
        graph_of(argv)[3], "[a0]anull[acat]",
        "[acat]afade=t=in:ns=1024,afade=t=out:ss=94976:ns=1024,"
        "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
        "apad=whole_len=96000,atrim=end_sample=96000,asetpts=N/48000/TB,"
        "ebur128=peak=true:framelog=verbose[aout]"]
    assert plan.analysis_argv[-5:] == ["-map", "[aout]", "-f", "null", "-"]
    gained = build(draft(vseg(CLIP, 0, 2000, **{"in": 1500}),
                         meta={"ratio": "1:1", "w": 1080, "h": 1080}), gain_db=7.25)
    assert "ns=1024,volume=7.25dB,alimiter=limit=0.7499:" in graph_of(gained.argv)[-1]
    assert "volume=7.25dB,alimiter" in graph_of(gained.analysis_argv or [])[-1]
    tail = argv[argv.index("-map"):]
    assert tail == [
        "-map", "[vout]", "-map", "[aout]", "-c:v", "libx264", "-preset", "veryfast",
        "-crf", "20", "-maxrate", "10M", "-bufsize", "20M", "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-r", "30", "-fps_mode", "cfr", "-g", "60",
        "-keyint_min", "60", "-sc_threshold", "0", "-flags", "+cgop",
        "-x264-params", "open-gop=0", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-colorspace", "bt709", "-color_range", "tv", "-c:a", "aac", "-profile:a", "aac_low",
        "-b:a", "128k", "-ar", "48000", "-ac", "2", "-map_metadata", "-1",
        "-movflags", "+faststart", "-f", "mp4", "/out/o.mp4"]
    assert argv.count("-filter_complex") == 1 and argv.count("-i") == 1
    assert (plan.frames, plan.duration_s, plan.width, plan.height) == (60, 2.0, 1080, 1080)
    assert plan.ass_text is None and plan.music == []


def test_no_loudnorm_when_everything_is_generated_silence() -> None:
    plan = build(draft(vseg(MUTE, 0, 1000)))
    assert graph_of(plan.argv)[-1] == (
        "[acat]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
        "apad=whole_len=48000,atrim=end_sample=48000,asetpts=N/48000/TB[aout]")
    assert plan.analysis_argv is None   # nothing to measure: no loudness target


def test_frames_are_quantised_on_the_timeline_so_audio_cannot_drift() -> None:
    # 7 cuts of 333 ms: each rounded alone would lose 1/3 frame per cut
    segs = [vseg(CLIP, i * 333, 333, **{"in": 1000 * i}) for i in range(7)]
    plan = build(draft(*segs))
    frames = [int(s.split("end_frame=")[1].split(",")[0]) for s in graph_of(plan.argv)
              if "end_frame=" in s]
    samples = [int(s.split("atrim=end_sample=")[1].split(",")[0])
               for s in graph_of(plan.argv) if s.startswith("[") and ":a:0]" in s]
    assert sum(frames) == plan.frames == fg.frame_at(7 * 333) == 70
    assert samples == [f * 1600 for f in frames]
    assert frames == [10, 10, 10, 10, 10, 10, 10]


def test_speed_image_no_audio_and_concat() -> None:
    plan = build(draft(vseg(CLIP, 0, 1000, speed=2.0), vseg(MUTE, 1000, 500, speed=0.25),
                       vseg(STILL, 1500, 1000, kind="image"), vseg(CLIP, 2500, 500, volume=0)))
    g = graph_of(plan.argv)
    assert g[0] == "[0:v:0]setpts=(PTS-STARTPTS)/2,fps=30[v0gin]"
    assert "atempo=2," in g[3]
    assert g[4] == "[1:v:0]setpts=(PTS-STARTPTS)/0.25,fps=30[v1gin]"
    # the HEVC clip has no audio track: generated silence of exactly 15 frames
    assert g[7] == ("anullsrc=r=48000:cl=stereo,atrim=end_sample=24000,"
                    "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[a1]")
    assert "out_color_matrix=bt709:out_range=tv" in g[9]           # still image
    assert g[11].startswith("anullsrc") and g[15].startswith("anullsrc")   # image, muted
    assert "[v0][a0][v1][a1][v2][a2][v3][a3]concat=n=4:v=1:a=1[vcat][acat]" in g
    argv = plan.argv
    i = argv.index(STILL)
    assert argv[i - 7:i + 1] == ["-loop", "1", "-framerate", "30", "-t", "1.25", "-i", STILL]
    # 2× speed reads twice the source span: 1 s of timeline = 2 s of source (+margin)
    assert argv[argv.index(CLIP) - 3:argv.index(CLIP) + 1] == ["-t", "2.25", "-i", CLIP]


def test_colour_conversion_only_where_needed() -> None:
    sd = "/media/sd.mp4"
    probes = {**PROBES, sd: Probe(Path(sd), duration=5.0, has_video=True, width=720,
                                  height=480, colorspace=6, color_range=2, pix_fmt="yuvj420p")}
    plan = build_render(decode_draft(draft(vseg(CLIP, 0, 500), vseg(sd, 500, 500))), probes,
                        Path("/o.mp4"), ffmpeg="ffmpeg", work_dir=Path("/w"),
                        music_dir=Path("/m"), font=None)
    g = graph_of(plan.argv)
    assert g[1].split(",")[-3:] == ["scale=1080:1920", "setsar=1", "format=yuv420p[v0g]"]
    assert "scale=1080:1920:out_color_matrix=bt709:out_range=tv" in g[5]


def test_atempo_chain_stays_in_range() -> None:
    assert fg.atempo_chain(1.0) == []
    assert fg.atempo_chain(4.0) == ["atempo=2", "atempo=2"]
    assert fg.atempo_chain(0.25) == ["atempo=0.5", "atempo=0.5"]
    assert fg.atempo_chain(3.0) == ["atempo=2", "atempo=1.5"]
    assert fg.clamp_speed(10) == 4.0 and fg.clamp_speed("x") == 1.0 and fg.clamp_speed(0.1) == 0.25


def test_music_ducking_fades_loudnorm_and_looks() -> None:
    music = {"tt": 1, "m": {"role": "bgm"}, "sg": [
        {"s": 500, "d": 1500, "m": {"mood": "lofi", "volume": 0.35, "duck": True,
                                    "fade_in": 200, "fade_out": 500}}]}
    user = {"tt": 1, "m": {"role": "bgm"}, "sg": [{"s": 0, "d": 2000, "m": {"src": CLIP}}]}
    plan = build(draft(vseg(CLIP, 0, 2000), extra=[music, user],
                       meta={"look": "bw", "vfade_in": 500, "vfade_out": 1000,
                             "afade_in": 100, "afade_out": 300, "loudnorm": False}))
    g = graph_of(plan.argv)
    assert plan.music == [("lofi", 2.0, Path("/music/lofi-2s-v1.wav"))]
    assert plan.argv[plan.argv.index("/music/lofi-2s-v1.wav") - 1] == "-i"
    assert plan.argv[plan.argv.index(CLIP, plan.argv.index(CLIP) + 1) - 3:][:3] == \
        ["-stream_loop", "-1", "-i"]
    assert ("[1:a:0]aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:"
            "channel_layouts=stereo,atrim=end_sample=72000,asetpts=PTS-STARTPTS,volume=0.35,"
            "afade=t=in:st=0:d=0.2,afade=t=out:st=1:d=0.5,adelay=delays=24000S:all=1[m0]") in g
    assert "[acat]asplit=2[orig][km0]" in g
    assert "[m0][km0]sidechaincompress=threshold=0.03:ratio=6:attack=30:release=400[m0d]" in g
    assert ("[orig][m0d][m1]amix=inputs=3:duration=first:dropout_transition=0:normalize=0"
            "[mix]") in g
    assert g[-1] == ("[mix]afade=t=in:st=0:d=0.1,afade=t=out:st=1.7:d=0.3,"
                     "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
                     "apad=whole_len=96000,atrim=end_sample=96000,asetpts=N/48000/TB[aout]")
    assert plan.analysis_argv is None   # loudness turned off: nothing measured
    assert ("[vcat]lutyuv=u=128:v=128,eq=contrast=1.08,fade=t=in:st=0:d=0.5,"
            "fade=t=out:st=1:d=1,setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv,format=yuv420p[vout]") in g


def test_blur_fit_and_preview() -> None:
    plan = build(draft(vseg(CLIP, 0, 1000), meta={"ratio": "16:9", "fit": "blur"}),
                 options=RenderOptions(preview=True))
    g = graph_of(plan.argv)
    assert (plan.width, plan.height) == (960, 540)
    assert g[1] == "[v0gin]split=2[v0gbg][v0gfg]"
    assert g[2] == ("[v0gbg]scale=240:134:force_original_aspect_ratio=increase"
                    ":flags=fast_bilinear,crop=240:134,"
                    "boxblur=10:2,eq=brightness=-0.06,scale=960:540[v0gbgs]")
    assert g[3] == ("[v0gfg]scale=960:540:force_original_aspect_ratio=decrease"
                    ":force_divisible_by=2:flags=fast_bilinear[v0gfgs]")
    assert plan.argv[1:10] == ["-hide_banner", "-loglevel", "error", "-y",
                               "-skip_loop_filter", "all", "-skip_frame:v", "noref", "-t"]
    assert opt(plan.argv, "-preset") == "ultrafast" and opt(plan.argv, "-crf") == "23"
    assert fg.canvas(decode_draft({"m": {"ratio": "4:5"}}), preview=True) == (540, 674)
    assert fg.canvas(decode_draft({"m": {}})) == (1080, 1920)
    assert fg.canvas(decode_draft({"m": {"w": 1080, "h": 1350}})) == (1080, 1350)
    assert fg.canvas(decode_draft({"m": {"w": True, "h": 5, "ratio": "1:1"}})) == (1080, 1080)


HOSTILE = ("'a\"b:c;d,e[f]g\\h%i{j}k\nline two 🎉 城市之梦 '; drawtext=text=pwned "
           "\\N \\{x\\} [out]; movie=/etc/passwd")


def test_hostile_text_never_reaches_the_filter_graph() -> None:
    text = {"tt": 7, "m": {"role": "caption"}, "sg": [
        {"s": 0, "d": 1000, "m": {"text": HOSTILE}}]}
    plan = build(draft(vseg(CLIP, 0, 1000), extra=[text]))
    graph = opt(plan.argv, "-filter_complex")
    assert "pwned" not in graph and "passwd" not in graph and "drawtext" not in graph
    assert not any("pwned" in a for a in plan.argv)
    assert plan.ass_path is not None and plan.ass_path.parent == Path("/work/dir")
    assert (f"ass=filename={plan.ass_path}:fontsdir=/work/dir/fonts,setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv,format=yuv420p[vout]"
            in graph)
    assert plan.ass_text is not None
    dialogue = [ln for ln in plan.ass_text.splitlines() if ln.startswith("Dialogue:")]
    assert len(dialogue) == 1 and "\n" not in dialogue[0]
    assert "{\\an2}" in dialogue[0]
    body = dialogue[0].split(",,", 2)[-1]
    assert "\\{j\\}" in body and "drawtext=text=pwned" in body
    assert "\\\u2060N" in body            # a literal backslash-N, not a line break


def test_missing_font_source_and_empty_timeline_are_errors() -> None:
    text = {"tt": 7, "m": {}, "sg": [{"s": 0, "d": 500, "m": {"text": "Hi"}}]}
    with pytest.raises(ConfigError) as err:
        build(draft(vseg(CLIP, 0, 1000), extra=[text]), font=None)
    assert err.value.key == "error_no_font"
    with pytest.raises(InputError) as err2:
        build(draft(vseg("/nope.mp4", 0, 1000)))
    assert err2.value.key == "file_missing"
    with pytest.raises(InputError) as err3:
        build({"t": [], "m": {}})
    assert err3.value.key == "timeline_empty"
    song = "/media/song.m4a"
    with pytest.raises(InputError) as err4:
        build_render(decode_draft(draft(vseg(song, 0, 1000))),
                     {song: Probe(Path(song), has_audio=True)},
                     Path("/o.mp4"), ffmpeg="ffmpeg", work_dir=Path("/w"),
                     music_dir=Path("/m"), font=None)
    assert (err4.value.key, err4.value.ctx["file"]) == ("error_no_video", "song.m4a")


def test_filter_value_escaping() -> None:
    assert fg.escape_filter_value("/tmp/a b/x.ass") == "/tmp/a b/x.ass"
    assert fg.escape_filter_value("C:\\w'o:r,k[d];ir") == \
        "C\\\\:\\\\\\\\w\\\\\\'o\\\\:r\\,k\\[d\\]\\;ir"


def test_escape_ass_text() -> None:
    assert escape_ass_text("{\\b1}x") == "\\{\\b1\\}x"
    assert escape_ass_text("a\\Nb\\nc\\hd\\e") == "a\\\u2060Nb\\\u2060nc\\\u2060hd\\e"
    assert escape_ass_text("1\r\n2\r3\n4\u20285\v6") == "1\\N2\\N3\\N4\\N5\\N6"
    assert escape_ass_text("tab\there\x00\x1b") == "tab here"
    assert escape_ass_text("城市 🎉 100% 'q\" ;,") == "城市 🎉 100% 'q\" ;,"


def test_caption_layout_in_reels_safe_zone_and_wrapping() -> None:
    long_cjk = "城市之梦" * 12
    doc = build_ass([TextEvent(0, 1000, long_cjk, "caption"),
                     TextEvent(0, 1000, "Title", "title", "top"),
                     TextEvent(0, 1000, "Placed", "caption", y=900, size=70)], 1080, 1920, "F")
    events = [ln for ln in doc.splitlines() if ln.startswith("Dialogue:")]
    fields = events[0].split(",", 9)
    margin_l, margin_r, margin_v = int(fields[5]), int(fields[6]), int(fields[7])
    assert margin_l >= 65 and 1080 - margin_r <= 1015
    assert 1920 - margin_v <= 1250               # bottom edge at or above y 1250
    lines = fields[9].split("}", 1)[1].split("\\N")
    assert len(lines) >= 2 and all(len(line) * 56 <= 1080 - margin_l - margin_r
                                   for line in lines)
    assert "{\\an8}" in events[1] and int(events[1].split(",")[7]) >= 270
    assert "{\\an2\\pos(540,900)\\fs70}" in events[2]
    assert "PlayResX: 1080" in doc and "PlayResY: 1920" in doc
    assert wrap_text("short", 800, 56) == ["short"]


def test_cover_time() -> None:
    assert cover_time_ms(decode_draft(draft(vseg(CLIP, 0, 5000)))) == 1000
    assert cover_time_ms(decode_draft(draft(vseg(CLIP, 0, 1500)))) == 750
    assert cover_time_ms(decode_draft(draft(vseg(CLIP, 0, 5000), meta={"cover_ms": 99999}))) == 4966
    assert cover_time_ms(decode_draft(draft(vseg(CLIP, 0, 5000), meta={"cover_ms": 2500}))) == 2500


# ------------------------------------------------------------------ fonts

def _fake_font(path: Path, family: str, *, han: bool) -> Path:
    """A minimal sfnt with a ``name`` table and a format-4 ``cmap`` (enough for discovery)."""
    fam = family.encode("utf-16-be")
    name = struct.pack(">HHH", 0, 1, 18) + struct.pack(">6H", 3, 1, 0x409, 1, len(fam), 0) + fam
    ranges = [(0x20, 0x7E)] + ([(0x4E00, 0x9FFF)] if han else []) + [(0xFFFF, 0xFFFF)]
    seg2 = 2 * len(ranges)
    sub = struct.pack(">7H", 4, 0, 0, seg2, 0, 0, 0)
    sub += struct.pack(f">{len(ranges)}H", *[e for _, e in ranges]) + b"\0\0"
    sub += struct.pack(f">{len(ranges)}H", *[s for s, _ in ranges])
    sub += struct.pack(f">{len(ranges)}H", *([1] * len(ranges)))
    sub += struct.pack(f">{len(ranges)}H", *([0] * len(ranges)))
    cmap = struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub
    tables = [(b"cmap", cmap), (b"name", name)]
    head = struct.pack(">IHHHH", 0x00010000, len(tables), 0, 0, 0)
    offset = len(head) + 16 * len(tables)
    directory, blob = b"", b""
    for tag, data in tables:
        directory += struct.pack(">4sIII", tag, 0, offset + len(blob), len(data))
        blob += data + b"\0" * (-len(data) % 4)
    path.write_bytes(head + directory + blob)
    return path


def test_font_discovery_prefers_cjk_for_cjk_text(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    (fonts / "sub").mkdir(parents=True)
    _fake_font(fonts / "Plain-Regular.ttf", "Plain Sans", han=False)
    _fake_font(fonts / "sub" / "HanFont.otf", "Zed Han", han=True)
    (fonts / "notes.txt").write_text("not a font")
    (fonts / "broken.ttf").write_bytes(b"junk")
    plain = read_font(fonts / "Plain-Regular.ttf")
    assert plain == Font(fonts / "Plain-Regular.ttf", "Plain Sans", False, "")
    assert find_font("hello", dirs=[fonts]).family == "Plain Sans"
    cjk = find_font("城市之梦", dirs=[fonts])
    assert (cjk.family, cjk.cjk) == ("Zed Han", True)
    assert has_cjk("城市") and has_cjk("ソウル") and has_cjk("서울") and not has_cjk("Café")
    with pytest.raises(ConfigError) as err:
        find_font("x", dirs=[tmp_path / "empty"])
    assert err.value.key == "error_no_font" and "apt install" in err.value.ctx["install"]


def test_font_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    font = _fake_font(tmp_path / "Mine.ttf", "My Font", han=True)
    monkeypatch.setenv("IGEDIT_FONT", str(font))
    assert find_font("anything") == Font(font, "My Font", True, "")
    monkeypatch.setenv("IGEDIT_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(ConfigError):
        find_font("x")
    monkeypatch.setenv("IGEDIT_FONT", str(tmp_path))
    assert find_font("x").family == "My Font"


def test_pick_font_prefers_regular_known_sans() -> None:
    fonts = [Font(Path("/f/DejaVuSansMono.ttf"), "DejaVu Sans Mono", False, "Book"),
             Font(Path("/f/DejaVuSans-Bold.ttf"), "DejaVu Sans", False, "Bold"),
             Font(Path("/f/Weird.ttf"), "Weird", False, "Regular"),
             Font(Path("/f/DejaVuSans.ttf"), "DejaVu Sans", False, "Book")]
    assert pick_font(fonts, want_cjk=False) == fonts[3]
    assert pick_font(fonts, want_cjk=True) == fonts[3]     # no CJK font: best fallback
    assert pick_font([], want_cjk=False) is None


def test_render_messages_exist_in_english_and_chinese() -> None:
    import re

    from skill.templates import PROMPTS_DIR, render

    def keys(lang: str) -> set[str]:
        text = (PROMPTS_DIR / lang / "render.j2").read_text(encoding="utf-8")
        return set(re.findall(r"macro (\w+)\(c\)", text))

    assert keys("en") == keys("zh") and "check_canvas" in keys("en")
    assert render("error_no_font", "en", install="sudo apt install fonts-noto-cjk") == (
        "No font was found for titles and captions. Install one "
        "(sudo apt install fonts-noto-cjk), or set IGEDIT_FONT to a .ttf/.otf file.")
    assert "IGEDIT_FFMPEG" in render("error_no_ffmpeg", "zh")


def test_preview_limits_peaks_instead_of_loudnorm() -> None:
    from skill.engine.render import filtergraph as fg

    quick = fg.master_audio("mix", "aout", 48000, loudnorm=True, quick=True)
    full = fg.master_audio("mix", "aout", 48000, loudnorm=True)
    assert "alimiter=limit=0.891:level=false" in quick and "loudnorm" not in quick
    assert "alimiter=limit=0.7499:" in full and "loudnorm" not in full
    assert build(draft(vseg(CLIP, 0, 1000)), options=RenderOptions(preview=True)
                 ).analysis_argv is None     # previews are not measured
    assert "alimiter" not in fg.master_audio("mix", "aout", 48000, loudnorm=False, quick=True)
