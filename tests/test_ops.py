"""Each edit op's ``apply`` on a small draft, asserted as the whole resulting draft."""

from __future__ import annotations

from typing import Any

import pytest

from skill.engine.ops import (
    OPS,
    AddCaptions,
    AddMusic,
    AddTitle,
    CaptionsFromFile,
    CutEnds,
    CutRange,
    Fade,
    Join,
    MediaItem,
    Op,
    PlanContext,
    RemoveTrack,
    SetAspect,
    SetCover,
    SetFit,
    SetFps,
    SetLook,
    SetLoudnorm,
    SetMusic,
    SetOriginalAudio,
    SetSpeed,
    StyleText,
    Trim,
    op_from_call,
    tool_definitions,
)
from skill.engine.ops.formats import SetFormats
from skill.engine.ops.scenes import SceneAbout
from skill.engine.ops.speech import (
    AutoCaptions,
    CaptionFix,
    CaptionsSrt,
    CutPhrase,
    KeepPhrase,
    RemoveFillers,
    RemoveSilences,
)
from skill.engine.ops.vision import (
    AddTransitions,
    CutToBeat,
    KeepScene,
    MakeHighlight,
    RemoveScene,
    SetReframe,
)
from skill.errors import InputError
from skill.templates import keys, render

from .wire import add_media_wire, apply_wire, initial_wire

A = MediaItem("m1", "/v/a.mp4", "a.mp4", "video", 10_000, 1080, 1920, True)
B = MediaItem("m2", "/v/b.mp4", "b.mp4", "video", 5_000, 1080, 1920, False)
SONG = MediaItem("m3", "/v/song.mp3", "song.mp3", "audio", 60_000)
CTX = PlanContext((A, B))
META = {"ratio": "9:16", "w": 1080, "h": 1920, "fit": "crop", "loudnorm": True}


def vseg(s: int, d: int, item: MediaItem, inn: int = 0, speed: float = 1.0,
         volume: float = 1.0) -> dict[str, Any]:
    return {"s": s, "d": d, "m": {"media": item.id, "src": item.src, "name": item.name,
                                  "kind": "video", "in": inn, "speed": speed, "volume": volume}}


def video(*segs: dict[str, Any]) -> dict[str, Any]:
    return {"tt": 0, "m": {"name": "Video"}, "sg": list(segs)}


def text(role: str, *segs: tuple[int, int, str, str]) -> dict[str, Any]:
    name = "Title" if role == "title" else "Captions"
    return {"tt": 7, "m": {"name": name, "role": role},
            "sg": [{"s": s, "d": d, "m": {"text": t, "position": p}} for s, d, t, p in segs]}


def draft(*tracks: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {"t": list(tracks), "m": {**META, **meta}}


BASE = draft(video(vseg(0, 10_000, A), vseg(10_000, 5_000, B)))


def applied(op: Op, start: dict[str, Any] | None = None,
            ctx: PlanContext = CTX) -> dict[str, Any]:
    return apply_wire(op, start if start is not None else BASE, ctx)


# ---------------------------------------------------------------- media → draft

def test_initial_draft_joins_clips_in_upload_order_and_sets_the_canvas() -> None:
    assert initial_wire(CTX) == BASE


def test_initial_draft_landscape_square_images_music() -> None:
    wide = MediaItem("w", "/v/w.mov", "w.mov", "video", 4_000, 1920, 1080, True)
    still = MediaItem("p", "/v/p.png", "p.png", "image", 0, 1080, 1080)
    out = initial_wire(PlanContext((wide, still, SONG)))
    assert out == {
        "t": [
            {"tt": 0, "m": {"name": "Video"}, "sg": [
                {"s": 0, "d": 4_000, "m": {"media": "w", "src": "/v/w.mov", "name": "w.mov",
                                           "kind": "video", "in": 0, "speed": 1.0, "volume": 1.0}},
                {"s": 4_000, "d": 3_000, "m": {"media": "p", "src": "/v/p.png", "name": "p.png",
                                               "kind": "image", "in": 0}}]},
            {"tt": 1, "m": {"name": "song.mp3", "role": "bgm"}, "sg": [
                {"s": 0, "d": 7_000, "m": {"media": "m3", "src": "/v/song.mp3", "name": "song.mp3",
                                           "volume": 0.3, "loop": True}}]},
        ],
        "m": {**META, "ratio": "16:9", "w": 1920, "h": 1080},
    }
    square = initial_wire(PlanContext((still,)))
    assert square["m"]["ratio"] == "1:1" and (square["m"]["w"], square["m"]["h"]) == (1080, 1080)


def test_add_media_appends_video_and_stretches_music() -> None:
    with_music = add_media_wire(BASE, SONG)
    out = add_media_wire(with_music, MediaItem("m4", "/v/c.mp4", "c.mp4", "video", 2_000, 720, 1280,
                                          True))
    assert [s["s"] for s in out["t"][0]["sg"]] == [0, 10_000, 15_000]
    assert out["t"][1]["sg"][0]["d"] == 17_000
    assert out["m"] == META                       # the canvas came from the first clip


def test_add_media_caption_file_becomes_one_segment_per_cue(tmp_path: Any) -> None:
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,500\nHi, \"you\"; {x}\n\n"
                   "2\n00:00:03,000 --> 00:00:04,000\n你好\n", encoding="utf-8")
    out = add_media_wire(BASE, MediaItem("c", str(srt), "s.srt", "caption"))
    assert out == draft(video(vseg(0, 10_000, A), vseg(10_000, 5_000, B)),
                        text("caption", (1_000, 1_500, 'Hi, "you"; {x}', "bottom"),
                             (3_000, 1_000, "你好", "bottom")))


def test_add_media_new_song_replaces_music_but_keeps_its_settings() -> None:
    first = applied(AddMusic(mood="lofi", volume_pct=35, duck=True), BASE, CTX)
    out = add_media_wire(first, SONG)
    assert out["t"][1] == {"tt": 1, "m": {"name": "song.mp3", "role": "bgm"}, "sg": [
        {"s": 0, "d": 15_000, "m": {"media": "m3", "src": "/v/song.mp3", "name": "song.mp3",
                                    "volume": 0.35, "loop": True, "duck": True}}]}


# ---------------------------------------------------------------- canvas & look

def test_set_aspect_square_crop() -> None:
    assert applied(SetAspect("1:1", "crop")) == {**BASE, "m": {**META, "ratio": "1:1", "w": 1080,
                                                             "h": 1080}}


def test_set_aspect_blur_keeps_everything() -> None:
    out = applied(SetAspect("4:5", "blur"))
    assert out["m"] == {**META, "ratio": "4:5", "w": 1080, "h": 1350, "fit": "blur"}


def test_set_aspect_without_fit_keeps_the_current_fit() -> None:
    start = draft(*BASE["t"], fit="blur")
    assert applied(SetAspect("16:9"), start)["m"] == {**META, "ratio": "16:9", "w": 1920,
                                                       "h": 1080, "fit": "blur"}


def test_set_fit() -> None:
    assert applied(SetFit("blur")) == draft(*BASE["t"], fit="blur")


@pytest.mark.parametrize("look", ["warm", "cool", "bw", "vivid"])
def test_set_look(look: str) -> None:
    assert applied(SetLook(look)) == draft(*BASE["t"], look=look)


def test_set_look_none_removes_it() -> None:
    assert applied(SetLook("none"), draft(*BASE["t"], look="bw")) == BASE


def test_fade_both_and_video_only() -> None:
    assert applied(Fade("both", 1_000, 2_000)) == draft(*BASE["t"], vfade_in=1_000,
                                                         vfade_out=2_000, afade_in=1_000,
                                                         afade_out=2_000)
    assert applied(Fade("video", None, 500)) == draft(*BASE["t"], vfade_out=500)


def test_loudnorm_off() -> None:
    assert applied(SetLoudnorm(False)) == draft(*BASE["t"], loudnorm=False)


def test_cover_is_clamped_inside_the_video() -> None:
    assert applied(SetCover(2_000)) == draft(*BASE["t"], cover_ms=2_000)
    assert applied(SetCover(99_000))["m"]["cover_ms"] == 14_999


# ---------------------------------------------------------------- timeline

def test_trim_across_two_clips() -> None:
    assert applied(Trim(8_000, 12_000)) == draft(video(vseg(0, 2_000, A, inn=8_000),
                                                       vseg(2_000, 2_000, B, inn=0)))


def test_trim_to_the_end_drops_the_first_clip() -> None:
    assert applied(Trim(11_000)) == draft(video(vseg(0, 4_000, B, inn=1_000)))


def test_trim_moves_captions_but_keeps_an_opening_title() -> None:
    start = draft(video(vseg(0, 10_000, A), vseg(10_000, 5_000, B)),
                  text("title", (0, 3_000, "T", "center")),
                  text("caption", (1_000, 2_000, "gone", "bottom"), (6_000, 2_000, "kept", "bottom"),
                       (9_000, 2_000, "split", "bottom")))
    assert applied(Trim(5_000, 10_000), start) == draft(
        video(vseg(0, 5_000, A, inn=5_000)),
        text("title", (0, 3_000, "T", "center")),
        text("caption", (1_000, 2_000, "kept", "bottom"), (4_000, 1_000, "split", "bottom")))


def test_trim_outside_the_video_is_a_clear_error() -> None:
    with pytest.raises(InputError) as info:
        applied(Trim(20_000, 30_000))
    assert info.value.key == "plan_trim_empty"
    assert "15 s" in render(info.value.key, "en", **info.value.ctx)


def test_cut_ends() -> None:
    assert applied(CutEnds(2_000, 1_000)) == draft(video(vseg(0, 8_000, A, inn=2_000),
                                                         vseg(8_000, 4_000, B)))


def test_cut_range_splits_a_clip() -> None:
    assert applied(CutRange(3_000, 5_000)) == draft(video(vseg(0, 3_000, A),
                                                          vseg(3_000, 5_000, A, inn=5_000),
                                                          vseg(8_000, 5_000, B)))


def test_speed_twice_halves_durations_and_scales_captions() -> None:
    start = draft(video(vseg(0, 10_000, A), vseg(10_000, 5_000, B)),
                  text("caption", (10_000, 4_000, "b", "bottom")))
    assert applied(SetSpeed(2.0), start) == draft(
        video(vseg(0, 5_000, A, speed=2.0), vseg(5_000, 2_500, B, speed=2.0)),
        text("caption", (5_000, 2_000, "b", "bottom")))


def test_speed_is_clamped_and_said() -> None:
    op = SetSpeed(10.0)
    out = applied(op)
    assert [s["m"]["speed"] for s in out["t"][0]["sg"]] == [4.0, 4.0]
    assert op.describe("en") == "Speed set to 4× (you asked for 10×; the local engine does 0.25×–4×)."
    assert "10" in op.describe("zh") and "4" in op.describe("zh")


def test_speed_from_trimmed_clip_keeps_the_same_source_span() -> None:
    start = applied(Trim(2_000, 6_000))                    # A 2–6 s of source
    out = applied(SetSpeed(0.5), start, CTX)
    assert out == draft(video(vseg(0, 8_000, A, inn=2_000, speed=0.5)))


def test_join_reverse_then_upload_order() -> None:
    reversed_ = applied(Join("reverse"))
    assert reversed_ == draft(video(vseg(0, 5_000, B), vseg(5_000, 10_000, A)))
    assert applied(Join("upload"), reversed_, CTX) == BASE


# ---------------------------------------------------------------- audio

LOFI = {"tt": 1, "m": {"name": "Lo-fi", "role": "bgm"},
        "sg": [{"s": 0, "d": 15_000, "m": {"name": "Lo-fi", "mood": "lofi", "volume": 0.35,
                                            "loop": True, "fade_out": 2_000}}]}


def test_add_mood_music() -> None:
    assert applied(AddMusic(mood="lofi", volume_pct=35, fade_out_ms=2_000)) == draft(
        *BASE["t"], LOFI)


def test_add_music_from_an_uploaded_file_by_name() -> None:
    ctx = PlanContext((A, B, SONG))
    out = applied(AddMusic(file="SONG", duck=True), ctx=ctx)
    assert out["t"][1] == {"tt": 1, "m": {"name": "song.mp3", "role": "bgm"}, "sg": [
        {"s": 0, "d": 15_000, "m": {"media": "m3", "src": "/v/song.mp3", "name": "song.mp3",
                                    "volume": 0.3, "loop": True, "duck": True}}]}


def test_add_music_unknown_file_names_the_fix() -> None:
    with pytest.raises(InputError) as info:
        applied(AddMusic(file="nope.mp3"))
    message = render(info.value.key, "en", **info.value.ctx)
    assert "nope.mp3" in message and "lo-fi" in message


def test_trending_music_says_what_it_used_instead() -> None:
    op = AddMusic(mood="upbeat", requested="trending")
    assert op.describe("en") == ("Added the built-in Upbeat track. Trending music is not "
                                 "available locally, so I used Upbeat instead.")


def test_set_music_adjusts_existing_music() -> None:
    start = draft(*BASE["t"], LOFI)
    out = applied(SetMusic(volume_pct=20, fade_in_ms=1_000, duck=True), start)
    assert out["t"][1]["sg"][0]["m"] == {"name": "Lo-fi", "mood": "lofi", "volume": 0.2,
                                         "loop": True, "fade_out": 2_000, "fade_in": 1_000,
                                         "duck": True}


def test_set_music_without_music_adds_the_default_track() -> None:
    out = applied(SetMusic(volume_pct=50))
    assert out["t"][1]["sg"][0]["m"] == {"name": "Lo-fi", "mood": "lofi", "volume": 0.5,
                                         "loop": True}


def test_original_audio_mute() -> None:
    assert applied(SetOriginalAudio(0)) == draft(video(vseg(0, 10_000, A, volume=0.0),
                                                       vseg(10_000, 5_000, B, volume=0.0)))


def test_remove_track() -> None:
    assert applied(RemoveTrack("music"), draft(*BASE["t"], LOFI)) == BASE


# ---------------------------------------------------------------- text

def test_add_title_default_first_three_seconds() -> None:
    assert applied(AddTitle("Urban Dreams")) == draft(
        *BASE["t"], text("title", (0, 3_000, "Urban Dreams", "center")))


def test_add_title_replaces_an_overlapping_title_and_clamps_to_the_end() -> None:
    start = applied(AddTitle("old", 0, 5_000))
    out = applied(AddTitle("new", 4_000, 99_000, "top"), start, CTX)
    assert out == draft(*BASE["t"], text("title", (4_000, 11_000, "new", "top")))


def test_hostile_text_is_stored_literally() -> None:
    hostile = "a'b\"c:d;e,f[g]h\\i%j{k}\nl 😀 中文 [redacted]"
    out = applied(AddTitle(hostile))
    assert out["t"][1]["sg"][0]["m"]["text"] == hostile


def test_add_captions_spread_evenly() -> None:
    assert applied(AddCaptions(("one", "two", "three"))) == draft(
        *BASE["t"], text("caption", (0, 5_000, "one", "bottom"), (5_000, 5_000, "two", "bottom"),
                         (10_000, 5_000, "three", "bottom")))


def test_timed_caption_is_added_to_existing_ones() -> None:
    start = applied(AddCaptions(("a", "b")))
    out = applied(AddCaptions(("x",), 1_000, 2_000, "top"), start, CTX)
    assert out == draft(*BASE["t"], text("caption", (1_000, 1_000, "x", "top"),
                                         (7_500, 7_500, "b", "bottom")))


def test_captions_from_file(tmp_path: Any) -> None:
    vtt = tmp_path / "subs.vtt"
    vtt.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<b>Hi</b>\n", encoding="utf-8")
    ctx = PlanContext((A, B, MediaItem("c", str(vtt), "subs.vtt", "caption")))
    assert applied(CaptionsFromFile("subs.vtt"), ctx=ctx) == draft(
        *BASE["t"], text("caption", (1_000, 1_000, "Hi", "bottom")))
    with pytest.raises(InputError):
        applied(CaptionsFromFile("other.srt"), ctx=ctx)


def test_ops_need_video() -> None:
    with pytest.raises(InputError) as info:
        applied(Trim(0, 1_000), {"t": [], "m": {}}, CTX)
    assert info.value.key == "timeline_empty"


# ---------------------------------------------------------------- calls, schemas, messages

SAMPLES: list[Op] = [
    SetAspect("9:16", "blur"), SetFit("crop"), SetLook("vivid"), Fade("audio", 500, None),
    SetLoudnorm(True), SetCover(1_000), Trim(1_000, 4_000), CutEnds(500, 0), CutRange(1, 2),
    SetSpeed(1.5), Join("upload"), AddMusic(mood="cinematic", volume_pct=40),
    SetMusic(duck=True), SetOriginalAudio(50), RemoveTrack("title"), AddTitle("Hi", 0, 2_000),
    AddCaptions(("a", "b"), None, None, "top"), CaptionsFromFile("s.srt"),
    StyleText("captions", 130, "top", "yellow"), SetFps(30), SetAspect("9:16", "crop", "stories"),
    RemoveSilences("tight"), RemoveFillers(), CutPhrase("pasta", True), KeepPhrase("eggs", "from"),
    AutoCaptions("bold", "top", "t"), CaptionFix("teh", "the"), CaptionsSrt(),
    SetReframe("center"), AddTransitions("wipe", 300), MakeHighlight(15), CutToBeat(),
    RemoveScene(2), KeepScene(-1), SetFormats(("reel", "square")), SceneAbout("beach"),
    SceneAbout("海滩", keep=False),
]


def test_every_op_has_a_sample() -> None:
    assert {op.tool for op in SAMPLES} == set(OPS)


@pytest.mark.parametrize("op", SAMPLES, ids=lambda op: op.tool)
def test_args_round_trip_through_op_from_call(op: Op) -> None:
    assert op_from_call(op.tool, op.args()) == op


@pytest.mark.parametrize("op", SAMPLES, ids=lambda op: op.tool)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_op_describes_itself(op: Op, lang: str) -> None:
    message = op.describe(lang)
    assert message and "plan_op" not in message and "Something went wrong" not in message


@pytest.mark.parametrize(("name", "args"), [
    ("nope", {}), ("set_aspect", {"ratio": "3:2"}), ("set_aspect", {}),
    ("trim", {"start_ms": "5"}), ("set_speed", {"factor": True}),
    ("add_title", {"text": "x", "colour": "red"}), ("add_music", {"mood": "lofi", "file": "a"}),
    ("set_music", {}), ("fade", {"target": "video"}), ("add_captions", {"lines": []}),
    ("trim", {"start_ms": 1.5}), ("cut_range", {"start_ms": 5, "end_ms": 1}),
])
def test_op_from_call_refuses_invalid_calls(name: str, args: dict[str, Any]) -> None:
    with pytest.raises(InputError) as info:
        op_from_call(name, args)
    assert info.value.key == "plan_bad_call"


def test_op_from_call_accepts_integral_floats() -> None:
    assert op_from_call("trim", {"start_ms": 1000.0, "end_ms": 2000}) == Trim(1_000, 2_000)


def test_tool_definitions_cover_every_op() -> None:
    defs = tool_definitions()
    assert [d["name"] for d in defs] == list(OPS)
    for d in defs:
        assert d["description"] and d["input_schema"]["type"] == "object"


def test_every_planner_message_exists_in_both_languages() -> None:
    en = {k for k in keys("en") if k.startswith("plan_")}
    zh = {k for k in keys("zh") if k.startswith("plan_")}
    assert en == zh
    assert {f"plan_op_{tool}" for tool in OPS} <= en


def test_music_coming_in_later_keeps_its_start_through_edits() -> None:
    draft = initial_wire(CTX)                                   # a (10 s) + b (5 s)
    late = applied(AddMusic(mood="chill", start_ms=5000), draft, CTX)
    bgm = late["t"][-1]["sg"][0]
    assert (bgm["s"], bgm["d"]) == (5000, 10_000)
    again = applied(SetMusic(volume_pct=50), late, CTX)             # other settings keep it
    assert again["t"][-1]["sg"][0]["s"] == 5000
    short = applied(Trim(0, 5500), again, CTX)                      # at least 1 s of music left
    assert (short["t"][-1]["sg"][0]["s"], short["t"][-1]["sg"][0]["d"]) == (4500, 1000)
    moved = applied(AddMusic(mood="upbeat"), late, CTX)             # a new mood, same entrance
    assert moved["t"][-1]["sg"][0]["s"] == 5000
    back = applied(SetMusic(start_ms=0), late, CTX)
    assert (back["t"][-1]["sg"][0]["s"], back["t"][-1]["sg"][0]["d"]) == (0, 15_000)
    with pytest.raises(InputError) as err:
        applied(SetMusic(start_ms=14_500), late, CTX)               # less than 1 s would play
    assert err.value.key == "plan_time_outside"


def test_every_op_is_listed_with_a_one_line_description_and_a_schema() -> None:
    from skill.engine.ops import OPS, list_ops, op_from_call

    listed = list_ops()
    assert [o["name"] for o in listed] == list(OPS) and len(listed) >= 18
    for o in listed:
        assert o["description"] and "\n" not in o["description"]
        assert o["schema"]["type"] == "object" and o["schema"]["additionalProperties"] is False
    listed[0]["schema"]["properties"]["bogus"] = {}            # a copy: the registry is safe
    assert "bogus" not in OPS[listed[0]["name"]].schema["properties"]
    assert op_from_call("set_aspect", {"ratio": "1:1"}).args() == {"ratio": "1:1"}
