"""Scenes named by what is said in them: "keep only the beach scene", "remove the scene
where I talk about the dog", "只保留讲海滩的那一段" (registered in :data:`.ops.OPS`).

A scene (scene detection plus clip boundaries, :func:`.vision.scenes_of`) is "about"
a topic when the words spoken in it (the clip's transcript, :mod:`.speech`) contain the
topic: every content word of an English topic (plurals match: "egg" hears "eggs"), or
the characters of a Chinese one in a row. Without speech to go by, the reply says so
and how else a scene can be named — never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...draft import Draft
from ...errors import ConfigError, InputError
from ..speech.analysis import Word, find_phrase, is_cjk, norm_token
from ..speech.timeline import timeline_words
from .base import Op, need_video, obj_schema
from .draftedit import PlanContext, video_segments
from .timeline import _keep
from .vision import _spans_map, scenes_of

#: words of a topic that name nothing ("the scene where I talk about *the* dog")
STOPWORDS = frozenset(
    "a an the my our your his her their its this that these those some of about with on "
    "in at to for and or where when i we you he she they it talk talks talked talking "
    "speak speaks spoke say says said mention mentions mentioned one bit part".split())


def topic_terms(topic: str) -> list[str]:
    """The content words of an English topic ("the dogs" → ["dog"]); [] for Chinese."""
    if is_cjk(topic):
        return []
    toks = [norm_token(t) for t in re.findall(r"[\w'’-]+", topic)]
    return [_stem(t) for t in toks if t and t not in STOPWORDS]


def _stem(token: str) -> str:
    token = re.sub(r"['’]s$", "", token)
    for end, repl in (("ies", "y"), ("ses", "s"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if token.endswith(end) and len(token) > len(end) + 2:
            return token[: -len(end)] + repl
    return token[:-1] if token.endswith("s") and not token.endswith("ss") and len(token) > 3 \
        else token


def mentions(words: Sequence[Word], topic: str) -> bool:
    """Whether ``words`` (one scene's speech) talk about ``topic``."""
    if not words or not topic.strip():
        return False
    if is_cjk(topic):
        return find_phrase(words, topic) is not None
    terms = topic_terms(topic)
    heard = {_stem(norm_token(w.text)) for w in words}
    return bool(terms) and all(t in heard for t in terms)


def scenes_about(scenes: Sequence[tuple[int, int]], words: Sequence[Word],
                 topic: str) -> list[int]:
    """Indices of the timeline ``scenes`` whose speech talks about ``topic``; a word
    belongs to the scene its middle falls in."""
    out = []
    for i, (a, b) in enumerate(scenes):
        said = [w for w in words if a <= (w.start_ms + w.end_ms) // 2 < b]
        if mentions(said, topic):
            out.append(i)
    return out


def _timeline_words(draft: Draft, about: str, lang: str) -> list[Word]:
    """Every word said on the timeline ([] when the clips have no speech); an
    :class:`InputError` saying how else to name a scene when there is no speech model
    to listen with."""
    from ...templates import render
    from .speech import analyses

    try:
        return timeline_words(video_segments(draft), analyses(draft))
    except ConfigError as exc:
        reason = render(exc.key, lang, **exc.ctx).strip().rstrip(".。")
        raise InputError("no transcript", key="scene_no_transcript", about=about,
                         reason=reason) from exc


@dataclass(frozen=True)
class SceneAbout(Op):
    about: str
    keep: bool = True

    tool = "scenes_about"
    summary = ("Keep only (keep=true) or remove (keep=false) the scene(s) in which the "
               "speech talks about `about` (words said in the scene, from the transcript: "
               "'keep only the beach scene', 'remove the scene where I talk about the dog'). "
               "To name a scene by its number use remove_scene.")
    schema = obj_schema({"about": {"type": "string", "minLength": 1, "maxLength": 100},
                         "keep": {"type": "boolean"}}, "about")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        scenes = scenes_of(draft)
        words = _timeline_words(draft, self.about, ctx.lang)
        if not words:
            raise InputError("no speech to tell the scenes apart", key="scene_no_speech",
                             about=self.about, count=len(scenes))
        hits = scenes_about(scenes, words, self.about)
        if not hits:
            raise InputError(f"no scene talks about {self.about}", key="scene_not_said",
                             about=self.about, count=len(scenes))
        if not self.keep and len(hits) == len(scenes):
            raise InputError("every scene talks about it", key="scene_all_said",
                             about=self.about, count=len(scenes))
        chosen = [scenes[i] for i in hits]
        spans = chosen if self.keep else [s for i, s in enumerate(scenes) if i not in hits]
        _keep(draft, spans, _spans_map(spans))
        object.__setattr__(self, "_scenes", [i + 1 for i in hits])

    def view(self) -> dict[str, Any]:
        found = list(getattr(self, "_scenes", []) or [])
        return {**self.args(), "scenes": found, "count": len(found)}
