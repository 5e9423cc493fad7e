"""The import rules of docs/architecture.md, read from the source with ``ast``.

Every ``import`` counts, wherever it is written (module top, inside a function, under
``TYPE_CHECKING``): a lazy import is still a dependency, and a cycle through one is
still a knot a reader has to untie. A failure names the modules and the lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "skill"

#: layers, lowest first; a module may import its own layer or any layer below it
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("shared", ("skill", "skill.errors", "skill.lang", "skill.templates", "skill.replies",
                "skill.redact", "skill.media", "skill.store", "skill.draft", "skill.events",
                "skill.backend", "skill.filetokens", "skill.platform", "skill.manifest",
                "skill.gui_table", "skill.hosts", "skill.proctree", "skill.fsfaults", "skill.leftovers",
                "skill.storeshapes", "skill.private", "skill.timeline", "skill.sheet_reply", "skill.installs",
                "skill.clipset", "skill.cliprefs", "skill.formats")),
    ("backends", ("skill.cloud", "skill.engine")),
    ("host", ("skill.runtime", "skill.exporter", "skill.backends", "skill.gui", "skill.turntext",
              "skill.intents", "skill.install", "skill.agent", "skill.targets",
              "skill.clipexport", "skill.format_export")),
    ("front", ("skill.front", "skill.serve", "skill.__main__")),
]
#: inside the engine: the top modules use plan, ops and render; plan uses ops; ops and
#: render use neither plan nor the top (a lower room never reaches up)
ENGINE_ROOMS: dict[str, tuple[str, ...]] = {
    # ops edit the draft; the speech and vision ops read their clip's analysis (made on
    # demand when not cached), and cut_to_beat reads the built-in music's beat grid
    "skill.engine.ops": ("skill.engine.ops", "skill.engine.speech", "skill.engine.vision",
                         "skill.engine.render.music"),
    # speech analysis: pure cores, a cache and a background builder that borrows the proxy
    # builder's process helpers
    "skill.engine.speech": ("skill.engine.speech", "skill.engine.render.proxy"),
    # vision analysis decodes with the render room's ffmpeg, probe and filter helpers, its
    # decoders started like the render's children (they die with their parent)
    "skill.engine.vision": ("skill.engine.vision", "skill.engine.render.ffmpeg",
                            "skill.engine.render.probe", "skill.engine.render.filtergraph",
                            "skill.engine.render.childproc"),
    # the renderer draws the subject-following crop the vision room plans
    "skill.engine.render": ("skill.engine.render", "skill.engine.ops", "skill.engine.vision"),
    "skill.engine.plan": ("skill.engine.plan", "skill.engine.ops", "skill.engine.speech"),
}
#: front doors: each is reached from ``skill.front.cli`` and imports no other
FRONT_DOORS = {"skill.front.chat", "skill.front.commands", "skill.front.mcp_server",
               "skill.front.serve_cmd", "skill.front.doctor", "skill.front.install_cmd"}
MAX_ENGINE_TOP = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported module of ``skill``, line) for every import statement in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names
                    if f"{target}.{a.name}" in known]
    return [(t, line) for t, line in out if t in known and t != name]


def graph() -> dict[str, list[tuple[str, int]]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def find_cycles(edges: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def describe(cycle: list[str], edges: dict[str, list[tuple[str, int]]]) -> str:
    inside = set(cycle)
    lines = [f"  {a} -> {b} (line {line})" for a in cycle for b, line in edges[a]
             if b in inside]
    return "import cycle: " + ", ".join(cycle) + "\n" + "\n".join(lines)


def layer_of(name: str) -> int:
    best = (-1, -1)
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + ".") and prefix != "skill":
                best = max(best, (len(prefix), i))
    assert best[1] >= 0, f"{name} belongs to no layer: add it to LAYERS in this test"
    return best[1]


def test_no_import_cycles_in_skill() -> None:
    edges = graph()
    cycles = find_cycles(edges)
    assert not cycles, "\n".join(describe(c, edges) for c in cycles)


def test_cycle_finder_names_a_cycle() -> None:
    edges = {"a": [("b", 3)], "b": [("c", 5)], "c": [("a", 7)], "d": [("a", 1)]}
    cycles = find_cycles(edges)
    assert cycles == [["a", "b", "c"]]
    text = describe(cycles[0], edges)
    assert "a -> b (line 3)" in text and "c -> a (line 7)" in text and "d" not in text


def test_imports_point_down_the_layers() -> None:
    wrong = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]}), "
             f"line {line}"
             for a, targets in graph().items() for b, line in targets
             if layer_of(b) > layer_of(a)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("room", sorted(ENGINE_ROOMS))
def test_engine_rooms_do_not_reach_up(room: str) -> None:
    allowed = ENGINE_ROOMS[room]
    wrong = [f"{a} imports {b}, line {line}"
             for a, targets in graph().items() if a == room or a.startswith(room + ".")
             for b, line in targets if b.startswith("skill.engine")
             and not any(b == p or b.startswith(p + ".") for p in allowed)]
    assert not wrong, "\n".join(wrong)


def test_no_front_door_imports_another() -> None:
    wrong = [f"{a} imports {b}, line {line}" for a, targets in graph().items()
             if a in FRONT_DOORS for b, line in targets if b in FRONT_DOORS]
    assert not wrong, "\n".join(wrong)


def test_engine_top_level_stays_small() -> None:
    top = sorted(p.name for p in (PKG / "engine").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_ENGINE_TOP, f"skill/engine/ holds {len(top)} modules: {top}"


def test_every_import_of_skill_names_a_module_that_exists() -> None:
    """A module moved between rooms must take its relative imports along: mypy does not
    see a lazy ``from ..x import y`` that points nowhere (missing imports are ignored in
    its configuration), so this walks every import of ``skill`` and resolves it."""
    mods = modules()
    wrong: list[str] = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] == "skill" and target not in mods:
                    wrong.append(f"{name}, line {node.lineno}: no module {target}")
            elif isinstance(node, ast.Import):
                wrong += [f"{name}, line {node.lineno}: no module {a.name}" for a in node.names
                          if a.name.split(".")[0] == "skill" and a.name not in mods]
    assert not wrong, "\n".join(wrong)
