"""Pure speech functions: pauses, time maps, caption layout, fillers, phrases, formats."""

from __future__ import annotations

from typing import Any

from skill.draft import Draft, Segment, Track, decode_draft, encode_draft
from skill.engine.render.textass import TextEvent, build_ass
from skill.engine.speech.analysis import (
    LEVELS,
    Analysis,
    Word,
    filler_indices,
    find_phrase,
    frame_loudness,
    join_words,
    pause_cuts,
    sentence_bounds,
    snap,
    wer,
)
from skill.engine.speech.formats import (
    CJK_CHARS,
    EN_CHARS,
    cues,
    layout_lines,
    render_transcript,
    to_srt,
    to_vtt,
)
from skill.engine.speech.script import script_of, to_script
from skill.engine.speech.timeline import (
    cuts_map,
    insert_map,
    keep_spans,
    merge,
    rejoin_pauses,
    timeline_cuts,
    timeline_words,
)


def W(a: int, b: int, t: str) -> Word:
    return Word(a, b, t)


def _segs(wire: list[dict[str, Any]]) -> list[Segment]:
    """Wire video segments (docs/draft.md) as the engine's typed segments."""
    return decode_draft({"t": [{"tt": 0, "sg": wire}]}).tracks[0].segments


def _wire(segs: list[Segment]) -> list[dict[str, Any]]:
    """Typed segments back in the wire form, to compare with what docs/draft.md shows."""
    return list(encode_draft(Draft([Track(0, segments=segs)]))["t"][0]["sg"])


def test_pause_cuts_keep_margins_and_skip_short_pauses() -> None:
    a = Analysis(10_000, "en", (W(1000, 1500, "a"), W(1700, 2000, "b"), W(4000, 4500, "c")))
    level = LEVELS["normal"]            # > 500 ms goes, 150 ms of air each side
    assert pause_cuts(a, level) == [(0, 850), (2150, 3850), (4650, 10_000)]
    assert pause_cuts(a, LEVELS["loose"]) == [(0, 750), (2250, 3750), (4750, 10_000)]
    assert pause_cuts(a, level, 1200, 3000) == [(2150, 3000)]


def test_voice_activity_protects_sound_the_words_missed() -> None:
    a = Analysis(6000, "en", (W(1000, 1200, "a"), W(4000, 4300, "b")), speech=((1000, 3000),))
    assert pause_cuts(a, LEVELS["normal"]) == [(0, 850), (3150, 3850), (4450, 6000)]


def test_time_maps() -> None:
    assert merge([(5, 8), (0, 2), (1, 3), (8, 9)]) == [(0, 3), (5, 9)]
    assert keep_spans(10, [(0, 2), (5, 6)]) == [(2, 5), (6, 10)]
    m = cuts_map([(2, 4), (6, 7)])
    assert [m(t) for t in (0, 2, 3, 4, 5, 6, 7, 10)] == [0, 2, 2, 2, 3, 4, 4, 7]
    assert snap(1010) == 1000 and snap(1020) == 1033


def test_timeline_words_follow_trim_and_speed() -> None:
    a = Analysis(10_000, "en", (W(1000, 1400, "skip"), W(3000, 3400, "one"), W(5000, 5600, "two")))
    segs = _segs([{"s": 0, "d": 2000, "m": {"src": "x", "in": 2000, "speed": 2.0}}])
    assert timeline_words(segs, {"x": a}) == [W(500, 700, "one"), W(1500, 1800, "two")]
    cuts = timeline_cuts(segs, {"x": a}, lambda an, lo, hi: [(lo, 2500), (4000, 4600)])
    assert cuts == [(0, 250), (1000, 1300)]


def test_rejoin_puts_cut_pauses_back_but_not_cut_words() -> None:
    a = Analysis(10_000, "en", (W(1000, 1500, "a"), W(3000, 3300, "um"), W(6000, 6500, "b")),
                 speech=((1000, 1500), (3000, 3300), (6000, 6500)))
    m = {"src": "x", "speed": 1.0, "kind": "video"}
    segs = _segs([{"s": 0, "d": 1650, "m": {**m, "in": 0}},          # a + margin | a pause cut
                  {"s": 1650, "d": 100, "m": {**m, "in": 2850}},     # | the um cut
                  {"s": 1750, "d": 1500, "m": {**m, "in": 3350}},    # | a pause, other settings
                  {"s": 3250, "d": 500, "m": {**m, "in": 5850, "volume": 0.5}}])
    before = _wire(segs)
    out_segs, inserts = rejoin_pauses(segs, {"x": a})
    out = _wire(out_segs)
    assert _wire(segs) == before                                 # the input is left untouched
    # the pause back in; the um and the other settings' boundary stay; the end was cut
    # inside "b", so nothing comes back there
    assert [(s["m"]["in"], s["d"]) for s in out] == [(0, 2950), (3350, 1500), (5850, 500)]
    assert inserts == [(1650, 1200)]
    assert [insert_map(inserts)(t) for t in (0, 1649, 1650, 3000)] == [0, 1649, 2850, 4200]
    fast = _segs([{"s": 0, "d": 825, "m": {**m, "in": 0, "speed": 2.0}},
                  {"s": 825, "d": 50, "m": {**m, "in": 2850, "speed": 2.0}}])
    assert rejoin_pauses(fast, {"x": a})[1] == [(825, 600), (875, 25)]   # 1.2 s of source at 2×
    late = _segs([{"s": 0, "d": 1000, "m": {**m, "in": 5500}}])   # silent lead-in and tail were cut
    joined, late_inserts = rejoin_pauses(late, {"x": a})
    assert (_wire(joined), late_inserts) == ([{"s": 0, "d": 6700, "m": {**m, "in": 3300}}],
                                             [(0, 2200), (1000, 3500)])
    assert rejoin_pauses(segs, {})[1] == []                      # no analysis: left alone


def test_caption_lines_english_break_between_words() -> None:
    text = "the quick brown fox jumps over the extraordinarily lazy dog again and again".split()
    lines = layout_lines(text, EN_CHARS)
    assert all(len(ln) <= EN_CHARS for ln in lines)
    assert " ".join(lines).split() == text          # no word was split


def test_caption_lines_chinese_break_between_characters() -> None:
    lines = layout_lines(["今天我们来聊聊在家做意大利面的一些小技巧和大家分享"], CJK_CHARS)
    assert [len(ln) for ln in lines] == [16, 9]


def test_cues_are_at_most_two_lines_and_break_at_sentences() -> None:
    words = [W(i * 300, i * 300 + 250, w) for i, w in enumerate(
        ("Hello everyone, welcome back to my channel. Today we are making fresh pasta at home "
         "with my grandmother's recipe from the old country.").split())]
    cs = cues(words)
    assert all(len(c.lines) <= 2 and all(len(ln) <= EN_CHARS for ln in c.lines) for c in cs)
    assert cs[0].text.replace("\n", " ") == "Hello everyone, welcome back to my channel."
    assert [len(c.words) for c in cues(words, one_word=True)] == [1] * len(words)


def test_srt_vtt_and_text() -> None:
    words = (W(0, 400, "Hi"), W(500, 900, "there."), W(3000, 3100, "Bye."))
    cs = cues(words)
    assert to_srt(cs) == ("1\n00:00:00,000 --> 00:00:00,900\nHi there.\n\n"
                          "2\n00:00:03,000 --> 00:00:03,300\nBye.\n")
    assert to_vtt(cs).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.900\nHi there.\n")
    assert render_transcript(Analysis(4000, "en", words), "text") == "Hi there.\nBye.\n"
    assert '"word": "Bye."' in render_transcript(Analysis(4000, "en", words), "json")


def test_fillers_only_where_they_are_fillers() -> None:
    words = [W(0, 200, "So,"), W(500, 700, "um,"), W(1000, 1200, "I"), W(1250, 1500, "like"),
             W(1550, 1800, "this."), W(2400, 2600, "Like,"), W(2650, 2800, "you"),
             W(2850, 3000, "know,"), W(3050, 3300, "it's"), W(3350, 3600, "uh"), W(3650, 3900, "fine.")]
    assert [words[i].text for i in filler_indices(words)] == ["um,", "Like,", "you", "know,", "uh"]
    zh = [W(0, 300, "我"), W(320, 600, "就是"), W(620, 900, "喜欢"), W(1500, 1700, "那个"),
          W(2300, 2600, "嗯"), W(2620, 2900, "好")]
    assert [zh[i].text for i in filler_indices(zh)] == ["那个", "嗯"]
    # as Whisper writes Chinese: one character a "word"; 那个 set off by pauses is a
    # filler, 就是 inside a phrase is not
    chars = [W(0, 250, "今天"), W(260, 500, "我们,"), W(1090, 1300, "那"), W(1310, 1400, "个,"),
             W(1700, 1900, "一"), W(1900, 2100, "起"), W(2200, 2300, "就"), W(2300, 2400, "是"),
             W(2400, 2600, "这"), W(2600, 2800, "个")]
    assert [chars[i].text for i in filler_indices(chars)] == ["那", "个,"]


def test_find_phrase_and_sentences() -> None:
    words = [W(i * 100, i * 100 + 80, t) for i, t in enumerate(
        "First, put the flour on the table. Then add three eggs.".split())]
    assert find_phrase(words, "the Flour") == (2, 3)
    assert find_phrase(words, "butter") is None
    assert sentence_bounds(words, 3) == (0, 6)
    zh = [W(0, 100, "今天"), W(100, 200, "我们"), W(200, 300, "做面")]
    assert find_phrase(zh, "我们做") == (1, 2)


def test_word_error_rate_and_joining() -> None:
    assert wer("a b c d".split(), "a x c".split()) == 0.5
    assert join_words(["你好", "世界", "hello", ",", "world"]) == "你好世界 hello, world"


def test_chinese_script_follows_the_user() -> None:
    assert to_script("去掉静音的部分", "t") == "去掉靜音的部分"
    assert to_script("靜音", "s") == "静音"
    assert script_of("加上繁體字幕") == "t" and script_of("加字幕") == "s"


def test_loudness_frames_on_the_video_grid() -> None:
    import numpy as np

    sr = 16_000
    x = np.concatenate([np.zeros(sr // 2), 0.5 * np.ones(sr // 2)]).astype("float32")
    db = frame_loudness(x, sr, 30)
    assert len(db) == 30 and db[0] == -90.0 and abs(db[-1] - (-6.0)) < 0.1


def test_highlighted_and_boxed_captions_in_ass() -> None:
    ev = [TextEvent(0, 500, "Hi {there} you", "caption", style="bold", highlight=(3, 10)),
          TextEvent(500, 900, "boxed", "caption", style="boxed")]
    doc = build_ass(ev, 1080, 1920, "Sans")
    assert "{\\1c&H00FFFF&}\\{there\\}{\\1c&HFFFFFF&} you" in doc
    assert "\\b1" in doc.splitlines()[-2]
    assert ",3,10,0,2," in doc and "CaptionBox" in doc.splitlines()[-1]


def test_speech_captions_fit_two_lines_in_the_safe_zone() -> None:
    text = "Today we are making fresh pasta\nat home with my grandmother"
    doc = build_ass([TextEvent(0, 900, text, "caption", style="bold", highlight=(0, 5))],
                    1080, 1920, "Sans")
    body = doc.splitlines()[-1].split(",,", 1)[1]
    assert body.count("\\N") == 1                   # still the two lines laid out, no wrap
    size = int(body.split("\\fs")[1].split("}")[0].split("\\")[0])
    assert 30 <= size <= round(56 * 1.25)


class _W:
    def __init__(self, start: float, end: float, word: str) -> None:
        self.start, self.end, self.word, self.probability = start, end, word, 0.9


class _Seg:
    def __init__(self, start: float, end: float, words: list[_W], ratio: float) -> None:
        self.start, self.end, self.words, self.compression_ratio = start, end, words, ratio


class _Info:
    language = "en"


class FakeDecoder:
    """Answers like faster-whisper (batched or sequential) and records each call."""

    def __init__(self, segments: list[_Seg]) -> None:
        self.segments = segments
        self.calls: list[tuple[int, dict[str, object]]] = []

    def transcribe(self, samples: object, **kw: object) -> tuple[list[_Seg], _Info]:
        self.calls.append((len(samples), kw))  # type: ignore[arg-type]
        return self.segments, _Info()


def test_a_repetition_loop_is_decoded_again_the_careful_way() -> None:
    import numpy as np

    from skill.engine.speech.transcribe import OPTIONS, transcribe_samples

    loop = [_W(2.0 + i * 0.1, 2.1 + i * 0.1, "uh,") for i in range(40)]
    batched = FakeDecoder([_Seg(0.0, 2.0, [_W(0.5, 0.9, " hello")], 1.2),
                           _Seg(2.0, 6.0, loop, 9.5)])
    careful = FakeDecoder([_Seg(0.0, 4.0, [_W(0.2, 0.6, " roses"), _W(0.7, 1.0, " are")], 1.1)])
    done: list[float] = []
    lang, words = transcribe_samples(careful, np.zeros(16_000 * 6, dtype=np.float32),
                                     batched=batched, progress=done.append)
    assert lang == "en"
    assert [(w.start_ms, w.end_ms, w.text) for w in words] == [
        (500, 900, "hello"), (2200, 2600, "roses"), (2700, 3000, "are")]
    assert batched.calls[0][1]["without_timestamps"] is True
    assert batched.calls[0][1]["chunk_length"] == OPTIONS["chunk_length"]
    # only the looping chunk's 4 s go to the sequential decoder, in the detected language
    assert [(n, kw["language"]) for n, kw in careful.calls] == [(16_000 * 4, "en")]
    assert done == [2.0 / 6.0, 1.0]
