"""The local renderer: a draft → exactly one ffmpeg run → an Instagram-ready MP4.

:func:`build_render` is pure: draft + probes in, argv (one ``-filter_complex`` graph,
no intermediate video files) and the side files it needs (ASS text, music WAVs to
synthesise) out. :func:`render` is the small I/O loop around it: probe, synthesise,
write the ASS file, run ffmpeg once with progress, then self-check the result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...backend import ProgressCb
from ...draft import AUDIO, TEXT, Draft, Segment, track_label
from ...errors import ConfigError, InputError
from ..vision.camera import camera_x
from ..vision.reframe import follow_subjects
from . import filtergraph as fg
from . import glyphs, loudness
from . import transitions as tx
from .cache import MUSIC_CACHE_BYTES, prune, touch
from .ffmpeg import ffmpeg_exe, run_ffmpeg
from .fonts import Font, find_font, read_font
from .music import MOODS, music_cache_name, synth_music
from .probe import Probe, probe
from .selfcheck import check_probe, expected_output
from .textass import TextEvent, build_ass

#: seconds of source read past a segment's end, so rounding never starves the trim
_SPAN_MARGIN_S = 0.25
DEFAULT_PRESET = "veryfast"
PREVIEW_PRESET = "ultrafast"


@dataclass(frozen=True)
class RenderOptions:
    """How to encode. ``preview``: half-size canvas, ``ultrafast``, lower quality."""

    preview: bool = False
    preset: str | None = None        # x264 preset; None = veryfast (ultrafast for previews)
    crf: int = 20
    maxrate: str = "10M"
    bufsize: str = "20M"


@dataclass(frozen=True)
class RenderPlan:
    """Everything one render needs; ``argv[0]`` is the ffmpeg binary."""

    argv: list[str]
    duration_s: float
    ass_text: str | None
    ass_path: Path | None
    music: list[tuple[str, float, Path]]      # (mood, seconds, WAV path to synthesise)
    frames: int = 0
    fps: int = fg.FPS                         # output frame rate (the draft's fps)
    width: int = 0
    height: int = 0
    font_path: Path | None = None
    fonts_dir: Path | None = None             # folder given to libass (font staged there)
    fallback_paths: tuple[Path, ...] = ()     # fonts for characters the main one lacks
    #: the audio-only pass measuring this render's mix (None: no loudness target)
    analysis_argv: list[str] | None = None


@dataclass(frozen=True)
class RenderReport:
    """The rendered file, its probe, self-check violations ([] = passes), wall time."""

    path: Path
    probe: Probe
    violations: list[str]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)     # the ffmpeg command (for --verbose)

    @property
    def ok(self) -> bool:
        return not self.violations


def _ms(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return default
    return max(0, int(value))


def _text_events(draft: Draft, total_ms: int) -> list[TextEvent]:
    events = []
    for track in draft.tracks:
        if track.type != TEXT:
            continue
        role = "caption" if track_label(track) == "Captions" else "title"
        for seg in track.segments:
            text = seg.text
            if text is None or not text.strip() or seg.start_ms >= total_ms:
                continue
            events.append(TextEvent(
                seg.start_ms, min(seg.end_ms, total_ms), text, role, seg.position or "",
                int(seg.size) if seg.size is not None else None,
                int(seg.y) if seg.y is not None else None,
                text_color(seg.color), **_speech_style(seg)))
    return events


def text_color(name: str | None) -> str:
    """A text segment's ``color`` (a name of :data:`.textass.COLORS`) as RGB hex."""
    from ..ops.style import COLORS

    return COLORS.get((name or "").lower(), "")


def _speech_style(seg: Segment) -> dict[str, Any]:
    """Style and highlighted word of a caption made from speech (``ops.speech``)."""
    out: dict[str, Any] = {"style": seg.style} if seg.style is not None else {}
    if seg.hl is not None:
        out["highlight"] = seg.hl
    return out


def _probe_for(probes: Mapping[str, Probe], src: str) -> Probe:
    found = probes.get(src)
    if found is None:
        raise InputError(f"{Path(src).name}: no such file", key="file_missing",
                         file=Path(src).name or src)
    return found


def build_render(draft: Draft, probes: Mapping[str, Probe], out: Path, *,
                 ffmpeg: str, work_dir: Path, music_dir: Path, font: Font | None,
                 options: RenderOptions = RenderOptions(),
                 gain_db: float | None = None, fallbacks: tuple[Font, ...] = ()) -> RenderPlan:
    """The ffmpeg argv (one run, one filter graph) rendering ``draft`` to ``out``. Pure.

    ``probes`` maps every ``src`` in the draft to its :class:`Probe`; ``gain_db`` is the
    loudness gain measured by running ``analysis_argv`` (:mod:`.loudness`); ``fallbacks``
    draw the characters ``font`` lacks (:mod:`.glyphs`). Raises
    :class:`InputError` for an empty timeline or an unknown source, and
    :class:`ConfigError` when the draft has text but ``font`` is None.
    """
    width, height = fg.canvas(draft, options.preview)
    full_w, full_h = fg.canvas(draft, False)
    fit = "blur" if (draft.fit or "").lower() == "blur" else "crop"
    fps = fg.output_fps(draft)    # the frame grid: 30, or 60 when the draft asks for it
    inputs: list[str] = []
    graph: list[str] = []
    agraph: list[str] = []     # the audio half alone: the loudness measuring pass
    pairs: list[str] = []
    n_inputs = 0
    elapsed_ms = 0
    has_sound = False
    lengths: list[int] = []
    trans, cuts = tx.plan(draft, fg.video_track_segments(draft))
    for seg in fg.video_track_segments(draft):
        start_f, end_f = fg.frame_at(elapsed_ms, fps), fg.frame_at(elapsed_ms + seg.dur_ms, fps)
        elapsed_ms += seg.dur_ms
        frames = end_f - start_f
        if frames <= 0:
            continue
        head, tail = tx.handles(len(lengths), cuts, trans[1]) if trans else (0, 0)
        frames += head + tail
        lengths.append(frames)
        src = seg.src or ""
        pr = _probe_for(probes, src)
        if not pr.has_video:
            raise InputError(f"{Path(src).name}: has no picture", key="error_no_video",
                             file=Path(src).name)
        image = seg.kind == "image" or pr.is_image
        lead = 0.0    # the tracks' start apart, where the clip is read from its start
        speed = 1.0 if image else fg.clamp_speed(seg.speed)
        volume = fg.gain(seg.volume, 1.0)
        span = fg.number(frames / fps * speed + _SPAN_MARGIN_S)
        if options.preview and not image:
            # Decoding is most of a preview's cost: skip the deblocking filter and the
            # frames nothing references (the fps filter repeats the previous frame in
            # their place).
            inputs += ["-skip_loop_filter", "all", "-skip_frame:v", "noref"]
        if image:
            inputs += ["-loop", "1", "-framerate", str(fps), "-t", span, "-i", src]
        else:
            in_ms = max(0, _ms(seg.in_ms) - int(head * 1000 * speed) // fps)
            if pr.duration > 0:   # never seek past the end: there must be a frame to show
                in_ms = min(in_ms, max(0, int(pr.duration * 1000) - 100))
            if in_ms:
                inputs += ["-ss", fg.number(in_ms / 1000)]
            elif abs(pr.audio_start - pr.video_start) >= 0.001:
                lead = (pr.audio_start - pr.video_start) / speed
            inputs += ["-t", span, "-i", src]
        idx = len(pairs) // 2
        graph += fg.video_segment(n_inputs, f"v{idx}", frames, speed, fit, width, height,
                                  sar=pr.sar, image=image, fast=options.preview,
                                  to709=pr.needs_709, full_range=pr.full_range,
                                  crop_x=camera_x(seg, speed, in_ms if not image else 0,
                                                   frames / fps * speed),
                                  fps=fps)
        audio_in = n_inputs if (pr.has_audio and not image and volume > 0) else None
        has_sound = has_sound or audio_in is not None
        graph.append(fg.audio_segment(audio_in, f"a{idx}", frames, speed, volume, lead, fps))
        agraph.append(graph[-1])
        pairs += [f"[v{idx}]", f"[a{idx}]"]
        n_inputs += 1
    if not pairs:
        raise InputError("the timeline has no video", key="timeline_empty")
    total_frames = fg.frame_at(elapsed_ms, fps)
    total_samples = total_frames * fg.samples_per_frame(fps)
    total_ms = total_frames * 1000 // fps
    n = len(pairs) // 2
    if trans and n > 1:
        joined = tx.join(lengths, *trans, fps=fps)
        graph += joined
        # the measuring pass hears the same crossfaded sound as the render
        agraph += [line for line in joined if "acrossfade=" in line]
    elif n > 1:
        graph.append(f"{''.join(pairs)}concat=n={n}:v=1:a=1[vcat][acat]")
        agraph.append(f"{''.join(pairs[1::2])}concat=n={n}:v=0:a=1[acat]")
    else:
        graph += ["[v0]null[vcat]", "[a0]anull[acat]"]
        agraph.append(graph[-1])

    # ---- video: look, text, fades
    post = fg.look_filters(draft.look)
    events = _text_events(draft, total_ms)
    ass_text = ass_path = fonts_dir = None
    if events:
        if font is None:
            raise ConfigError("no font for titles and captions", key="error_no_font")
        ass_text = build_ass(events, full_w, full_h, font.family,
                             glyphs.family_map([font, *fallbacks]) if fallbacks else None)
        digest = hashlib.sha1(ass_text.encode("utf-8")).hexdigest()[:12]
        ass_path = work_dir / f"text-{digest}.ass"
        fonts_dir = work_dir / "fonts"
        post.append(f"ass=filename={fg.escape_filter_value(str(ass_path))}"
                    f":fontsdir={fg.escape_filter_value(str(fonts_dir))}")
    duration = total_frames / fps
    vin, vout = _ms(draft.video_fade.in_ms) / 1000, _ms(draft.video_fade.out_ms) / 1000
    if vin > 0:
        post.append(f"fade=t=in:st=0:d={fg.number(min(vin, duration))}")
    if vout > 0:
        vout = min(vout, duration)
        post.append(f"fade=t=out:st={fg.number(duration - vout)}:d={fg.number(vout)}")
    graph.append(f"[vcat]{','.join([*post, fg.TAG_709, 'format=yuv420p'])}[vout]")

    # ---- audio: music, ducking, mix, loudness, fades
    music: list[tuple[str, float, Path]] = []
    beds: list[tuple[str, bool]] = []
    for track in draft.tracks:
        if track.type != AUDIO:
            continue
        for seg in track.segments:
            if seg.start_ms >= total_ms or seg.dur_ms <= 0:
                continue
            mood = (seg.mood or "").lower()
            start_s = seg.start_ms * fg.SAMPLE_RATE // 1000
            samples = min(seg.dur_ms * fg.SAMPLE_RATE // 1000, total_samples - start_s)
            if mood in MOODS:
                secs = float(max(1, -(-seg.dur_ms // 1000)))
                wav = Path(music_dir) / music_cache_name(mood, secs)
                if (mood, secs, wav) not in music:
                    music.append((mood, secs, wav))
                inputs += ["-i", str(wav)]
            else:
                src = seg.src or ""
                pr = _probe_for(probes, src)
                if not pr.has_audio:
                    raise InputError(f"{Path(src).name}: has no sound to use as music",
                                     key="error_no_audio", file=Path(src).name)
                loop = seg.loop is not False
                inputs += [*(["-stream_loop", "-1"] if loop else []), "-i", src]
            label = f"m{len(beds)}"
            graph.append(fg.music_segment(
                n_inputs, label, seg.start_ms, samples, fg.gain(seg.volume, 1.0),
                _ms(seg.fade_in), _ms(seg.fade_out)))
            agraph.append(graph[-1])
            beds.append((label, seg.duck is True))
            n_inputs += 1
    mix_graph, mix = fg.mix_bus("acat", beds)
    graph += mix_graph
    agraph += mix_graph
    loudnorm = draft.loudnorm is not False and (has_sound or bool(beds))
    fade_in_s = _ms(draft.audio_fade.in_ms) / 1000
    fade_out_s = _ms(draft.audio_fade.out_ms) / 1000
    graph.append(fg.master_audio(mix, "aout", total_samples, loudnorm=loudnorm,
                                 fade_in_s=fade_in_s, fade_out_s=fade_out_s,
                                 quick=options.preview, gain_db=gain_db))
    analysis = None
    if loudnorm and not options.preview:
        agraph.append(fg.master_audio(mix, "aout", total_samples, loudnorm=True,
                                      fade_in_s=fade_in_s, fade_out_s=fade_out_s,
                                      gain_db=gain_db, meter=True))
        analysis = [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "info", *inputs,
                    "-filter_complex", ";".join(agraph), "-map", "[aout]", "-f", "null", "-"]

    preset = options.preset or (PREVIEW_PRESET if options.preview else DEFAULT_PRESET)
    crf = options.crf + (3 if options.preview else 0)
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *inputs,
            "-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
            "-maxrate", options.maxrate, "-bufsize", options.bufsize,
            "-profile:v", "high", "-pix_fmt", "yuv420p", "-r", str(fps), "-fps_mode", "cfr",
            "-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0",
            "-flags", "+cgop", "-x264-params", "open-gop=0",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            "-color_range", "tv",
            "-c:a", "aac", "-profile:a", "aac_low", "-b:a", "128k",
            "-ar", str(fg.SAMPLE_RATE), "-ac", "2",
            "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(out)]
    return RenderPlan(argv=argv, duration_s=duration, ass_text=ass_text, ass_path=ass_path,
                      music=music, frames=total_frames, fps=fps, width=width, height=height,
                      font_path=font.path if (font and events) else None, fonts_dir=fonts_dir,
                      fallback_paths=tuple(f.path for f in fallbacks) if events else (),
                      analysis_argv=analysis)


def _stage_font(font_path: Path, fonts_dir: Path) -> None:
    """Link the chosen font (and its same-family siblings, e.g. Bold) into the private
    folder libass is pointed at, so it never has to load a whole system font folder."""
    from ...private import private_dir, write_private

    private_dir(fonts_dir)
    chosen = read_font(font_path)
    family = chosen.family if chosen else ""
    prefix = font_path.stem.split("-")[0].lower()
    files = [font_path]
    try:
        siblings = sorted(font_path.parent.iterdir())
    except OSError:
        siblings = []
    if len(siblings) <= 400:
        for f in siblings:
            if f != font_path and f.stem.lower().startswith(prefix) and f.is_file():
                info = read_font(f)
                if info is not None and info.family == family:
                    files.append(f)
    for f in files:
        link = fonts_dir / f.name
        if link.exists() or link.is_symlink():
            continue
        try:
            link.symlink_to(f)
        except OSError:   # no symlinks (Windows without developer mode): copy instead
            write_private(link, f.read_bytes())


def _sources(draft: Draft) -> list[str]:
    out: list[str] = []
    for track in draft.tracks:
        for seg in track.segments:
            src = seg.src
            if src and src not in out and (track.type != AUDIO or not seg.mood):
                out.append(src)
    return out


async def render(draft: Draft, out: Path, *, work_dir: Path, music_dir: Path,
                 options: RenderOptions = RenderOptions(),
                 progress: ProgressCb | None = None,
                 proxy_dir: Path | None = None, make_proxies: bool = True) -> RenderReport:
    """Render ``draft`` to ``out`` in one ffmpeg run, then self-check it.

    Writes to ``<out>.partial`` and renames it on success, so an interrupted render
    never leaves a truncated ``out``. Cancelling stops ffmpeg and removes the partial.
    Previews given a ``proxy_dir`` read the half-size proxies of the video sources
    (:mod:`skill.engine.render.proxy`) where they are ready; a clip that has none is read
    in full and (``make_proxies``) its proxy is started in the background afterwards.
    """
    t0 = time.monotonic()
    out, work_dir = Path(out), Path(work_dir)
    for src in _sources(draft):
        if not Path(src).is_file():
            raise InputError(f"{Path(src).name}: no such file", key="file_missing",
                             file=Path(src).name)
    probes = await asyncio.to_thread(lambda: {s: probe(Path(s)) for s in _sources(draft)})
    draft = await asyncio.to_thread(follow_subjects, draft, probes)
    missing: list[str] = []
    if options.preview and proxy_dir is not None:
        draft, probes, missing, waited = await _use_proxies(
            draft, probes, Path(proxy_dir), _phase(progress, 0.0, 0.5))
        if waited:  # the wait was the first half of the bar; the render is the second
            progress = _phase(progress, 0.5, 1.0)
    texts = glyphs.draft_texts(draft)
    warnings: list[str] = []
    font = None
    fallbacks: tuple[Font, ...] = ()
    if texts.strip():
        font = await asyncio.to_thread(find_font, texts)
        fonts = await asyncio.to_thread(glyphs.chain, font)
        fallbacks = tuple(glyphs.fallbacks(texts, fonts))
        lost = glyphs.missing(texts, fonts)
        if lost:   # said before the render too (edit reply, export start)
            from ...templates import render as say

            warnings.append(say("render_missing_glyphs", "en", chars=glyphs.describe(lost)))
    from ...private import private_dir, write_private

    private_dir(work_dir)
    private_dir(out.parent)
    part = out.with_name(out.name + ".partial")

    def build(gain_db: float | None = None) -> RenderPlan:
        return build_render(draft, probes, part, ffmpeg=ffmpeg_exe(), work_dir=work_dir,
                            music_dir=Path(music_dir), font=font, options=options,
                            gain_db=gain_db, fallbacks=fallbacks)

    plan = build()
    for mood, secs, wav in plan.music:
        if wav.is_file():
            touch(wav)
        else:
            await asyncio.to_thread(synth_music, mood, secs, wav)
            prune(Path(music_dir), "*.wav", max_bytes=MUSIC_CACHE_BYTES)
    if plan.ass_text is not None and plan.ass_path is not None:
        write_private(plan.ass_path, plan.ass_text)
        if plan.font_path is not None and plan.fonts_dir is not None:
            for path in (plan.font_path, *plan.fallback_paths):
                await asyncio.to_thread(_stage_font, path, plan.fonts_dir)
    silent = False
    target = plan.analysis_argv is not None
    if target:   # measure the mix, then render it with the gain that makes it −14 LUFS
        async def measure_with(gain_db: float | None) -> loudness.Loudness | None:
            argv = build(gain_db).analysis_argv
            assert argv is not None
            return await loudness.measure(argv)

        gain_db, silent = await loudness.settle_gain(measure_with)
        plan = build(gain_db)
    try:
        await run_ffmpeg(plan.argv, duration_s=plan.duration_s, progress=progress)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, out)
    if missing and make_proxies and proxy_dir is not None:
        from .proxy import start_background

        start_background([Path(src) for src in missing], Path(proxy_dir))
    # the self-check: the probe and the loudness meter read the file side by side
    result, level = await asyncio.gather(
        asyncio.to_thread(probe, out, exhaustive=True),
        loudness.measure(loudness.file_argv(ffmpeg_exe(), str(out)), label="check")
        if target else _nothing())
    expected = dataclasses.replace(expected_output(draft, preview=options.preview),
                                   loudness=target, silent=silent)
    violations = check_probe(result, expected, level=level)
    return RenderReport(out, result, violations, time.monotonic() - t0, warnings,
                        list(plan.argv))


async def _nothing() -> None:
    return None


def _phase(progress: ProgressCb | None, lo: float, hi: float) -> ProgressCb | None:
    """``progress`` squeezed into the ``lo``–``hi`` share of the whole bar."""
    if progress is None:
        return None
    report = progress

    def scaled(label: str, done: float, total: float | None) -> None:
        if total:
            report(label, total * lo + done * (hi - lo), total)

    return scaled


async def _use_proxies(draft: Draft, probes: dict[str, Probe], proxy_dir: Path,
                       progress: ProgressCb | None,
                       ) -> tuple[Draft, dict[str, Probe], list[str], bool]:
    """The draft and probes with sources swapped for their proxies where ready, the
    sources without a proxy, and whether a proxy being made was waited for."""
    from .proxy import for_preview, probe_proxies

    found = await for_preview(probes, proxy_dir, progress=progress)
    proxies = found.proxies
    wanted = list(proxies)
    proxy_probes = await probe_proxies(proxies) if proxies else {}
    found.missing += [src for src in wanted if src not in proxies]   # damaged: made anew
    if not proxies:
        return draft, probes, found.missing, found.waited
    swapped = draft.copy()
    for track in swapped.tracks:
        for seg in track.segments:
            if seg.src is not None and seg.src in proxies:
                seg.src = str(proxies[seg.src])
    return swapped, {**probes, **proxy_probes}, found.missing, found.waited


def cover_time_ms(draft: Draft) -> int:
    """Timeline time of the cover frame: ``cover_ms``, else 1 s, else the middle."""
    frames, fps = fg.timeline_frames(draft), fg.output_fps(draft)
    total_ms = frames * 1000 // fps
    last = max(0, (frames - 1) * 1000 // fps)   # start of the last frame
    wanted = draft.cover_ms
    if wanted is not None:
        return min(max(0, int(wanted)), last)
    return 1000 if total_ms > 2000 else total_ms // 2


async def extract_cover(draft: Draft, video: Path, out_jpg: Path) -> Path:
    """Write the frame at the draft's cover time from ``video`` as a JPEG."""
    out_jpg = Path(out_jpg)
    out_jpg.parent.mkdir(parents=True, exist_ok=True)
    argv = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-ss", fg.number(cover_time_ms(draft) / 1000), "-i", str(video),
            # JPEG viewers assume BT.601 full range; the video is BT.709 limited range
            "-vf", "scale=out_color_matrix=bt601:out_range=pc",
            "-frames:v", "1", "-q:v", "2", "-update", "1", str(out_jpg)]
    await run_ffmpeg(argv, label="cover")
    if not out_jpg.is_file():
        raise InputError(f"{Path(video).name}: no frame at the cover time",
                         key="error_unreadable", file=Path(video).name)
    return out_jpg
