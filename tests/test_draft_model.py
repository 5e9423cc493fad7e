"""The one typed draft (skill/draft.py): what the engine and the host work on, and the
wire form (docs/draft.md) it is read from and written back to, losing nothing."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.draft import (
    Batch,
    BatchClip,
    Draft,
    Fades,
    Segment,
    Track,
    Transition,
    decode_draft,
    diff,
    encode_draft,
    summarize,
)

LOCAL = {
    "t": [
        {"tt": 0, "m": {"name": "Video"}, "sg": [
            {"s": 0, "d": 4000, "m": {"media": "m1", "src": "/v/a.mp4", "name": "a.mp4",
                                      "kind": "video", "in": 1500, "speed": 2.0, "volume": 0.0,
                                      "cam": [[0.0, 0.5], [1.25, 0.62]]}}]},
        {"tt": 1, "m": {"name": "Lo-fi", "role": "bgm"}, "sg": [
            {"s": 500, "d": 3500, "m": {"name": "Lo-fi", "mood": "lofi", "volume": 0.35,
                                        "fade_in": 800, "duck": True, "loop": True}}]},
        {"tt": 7, "m": {"name": "Captions", "role": "caption"}, "sg": [
            {"s": 0, "d": 900, "m": {"text": "hello world", "position": "bottom", "style": "bold",
                                     "auto": True, "hl": [0, 5], "color": "yellow", "size": 64,
                                     "y": 1500}}]},
    ],
    "m": {"ratio": "1:1", "w": 1080, "h": 1080, "fit": "blur", "reframe": "center",
          "transition": {"style": "wipe", "ms": 400}, "look": "vivid+warm", "target": "square",
          "formats": ["reel", "square"], "fps": 60, "vfade_in": 300, "afade_out": 1200,
          "loudnorm": False, "cover_ms": 1200, "speech_fixes": [["teh", "the"]], "srt": True},
}


def test_every_documented_key_is_a_typed_attribute() -> None:
    d = decode_draft(LOCAL)
    video, music, caption = (t.segments[0] for t in d.tracks)
    assert (video.media, video.in_ms, video.speed, video.volume, video.kind) == \
        ("m1", 1500, 2.0, 0.0, "video")
    assert video.cam == [(0.0, 0.5), (1.25, 0.62)]
    assert (music.mood, music.fade_in, music.duck, music.loop, music.start_ms) == \
        ("lofi", 800, True, True, 500)
    assert (caption.text, caption.hl, caption.style, caption.auto) == \
        ("hello world", (0, 5), "bold", True)
    assert [t.role for t in d.tracks] == [None, "bgm", "caption"]
    assert (d.ratio, d.width, d.height, d.fit, d.reframe) == ("1:1", 1080, 1080, "blur", "center")
    assert d.transition == Transition("wipe", 400)
    assert d.video_fade == Fades(300, None) and d.audio_fade == Fades(None, 1200)
    assert (d.loudnorm, d.cover_ms, d.fps, d.srt) == (False, 1200, 60, True)
    assert d.speech_fixes == [("teh", "the")] and d.formats == ["reel", "square"]
    # nothing was left over: every key found its attribute
    assert not d.extra and all(not s.extra for t in d.tracks for s in t.segments)
    assert encode_draft(d) == LOCAL


def test_a_typed_edit_is_written_with_the_wire_keys() -> None:
    d = decode_draft(LOCAL)
    d.video_fade.out_ms = 500
    d.tracks[0].segments[0].in_ms = 0
    d.tracks.append(Track(7, role="title", name="Title",
                          segments=[Segment(0, 2000, text="Hi", position="top")]))
    raw = encode_draft(d)
    assert raw["m"]["vfade_out"] == 500 and raw["t"][0]["sg"][0]["m"]["in"] == 0
    assert raw["t"][3] == {"tt": 7, "m": {"role": "title", "name": "Title"},
                           "sg": [{"s": 0, "d": 2000, "m": {"text": "Hi", "position": "top"}}]}
    assert 'Title: "Hi"' in summarize(d)


def test_unknown_and_ill_typed_values_are_kept_aside_and_written_back() -> None:
    raw = {"id": "cloud-1",
           "t": [{"tt": 0, "key": 7, "m": {"name": "V", "label": "x"},
                  "sg": [{"s": 0, "d": 10, "uid": "a",
                          "m": {"speed": "fast", "volume": True, "in": None, "future": [1]}}]}],
           "m": {"ratio": 3, "loudnorm": "yes", "vfade_in": "1s", "batch": "no", "d": 5000}}
    d = decode_draft(copy.deepcopy(raw))
    seg = d.tracks[0].segments[0]
    # the engine sees none of the junk...
    assert seg.speed is None and seg.volume is None and seg.in_ms is None
    assert d.ratio is None and d.loudnorm is None and d.video_fade.in_ms is None and d.batch is None
    assert d.duration_ms == 5000
    # ...and writes all of it back as it came
    assert encode_draft(d) == raw


def test_clips_edited_separately_are_typed_drafts() -> None:
    one = copy.deepcopy(LOCAL)
    raw = {"t": LOCAL["t"], "m": {"ratio": "9:16", "w": 1080, "h": 1920,
                                  "batch": {"mode": "each", "focus": [0],
                                            "clips": [{"media": "m1", "name": "a.mp4",
                                                       "draft": one}]}}}
    d = decode_draft(raw)
    assert d.batch == Batch("each", [0], [BatchClip("m1", "a.mp4", decode_draft(one))])
    assert d.batch.clips[0].draft.fps == 60
    assert summarize(d).startswith("Clips edited separately (1): [1] a.mp4 (1:1): Timeline (3")
    assert encode_draft(d) == raw
    joined = Draft(d.tracks, ratio="9:16")
    assert any("Clips" in line for line in diff(joined, d))


def test_copy_is_deep() -> None:
    d = decode_draft(LOCAL)
    c = d.copy()
    c.tracks[0].segments[0].cam = None
    c.video_fade.in_ms = 0
    assert d == decode_draft(LOCAL) and c != d


# ------------------------------------------------------------ round trip, fuzzed

_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
_seg_keys = st.sampled_from(["media", "src", "name", "kind", "in", "speed", "volume", "cam",
                             "mood", "fade_in", "fade_out", "duck", "loop", "text", "position",
                             "size", "y", "color", "style", "auto", "hl", "other"])
_meta_keys = st.sampled_from(["ratio", "w", "h", "fit", "reframe", "transition", "look", "target",
                              "formats", "fps", "vfade_in", "vfade_out", "afade_in", "afade_out",
                              "loudnorm", "cover_ms", "speech_fixes", "srt", "batch", "d", "x"])
_segment = st.fixed_dictionaries(
    {"s": st.integers(0, 10**7), "d": st.integers(0, 10**7),
     "m": st.dictionaries(_seg_keys, _json, max_size=6)})
_track = st.fixed_dictionaries(
    {"tt": st.sampled_from([0, 1, 7, 3]),
     "m": st.dictionaries(st.sampled_from(["role", "name", "z"]), _json, max_size=2),
     "sg": st.lists(_segment, max_size=3)})
_wire = st.fixed_dictionaries({"t": st.lists(_track, max_size=3),
                               "m": st.dictionaries(_meta_keys, _json, max_size=6)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_wire)
def test_any_well_formed_wire_draft_survives_the_round_trip(raw: dict[str, Any]) -> None:
    assert encode_draft(decode_draft(copy.deepcopy(raw))) == raw
