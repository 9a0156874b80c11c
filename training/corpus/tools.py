"""The external programs the corpus is made with (mma, FluidSynth, GM soundfonts), found once and checked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOUNDFONT_DIRS: tuple[Path, ...] = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"))
# File name -> the Debian package that ships it. Both are always required so that a seed means the same
# corpus on every machine.
SOUNDFONTS: dict[str, str] = {"FluidR3_GM.sf2": "fluid-soundfont-gm", "TimGM6mb.sf2": "timgm6mb-soundfont"}
MMA_HOMES: tuple[Path, ...] = (Path("/usr/local/share/mma"), Path("/usr/share/mma"))
TOOL_TIMEOUT_S = 60.0


class CorpusError(Exception):
    """The corpus cannot be generated; the message says what to install or fix."""


@dataclass(frozen=True)
class Toolchain:
    mma: str
    fluidsynth: str
    soundfonts: dict[str, Path]
    versions: dict[str, str]


def _program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CorpusError(
            f"'{name}' was not found on PATH; install the Debian package '{package}' (apt-get install {package})."
        )
    return path


def _soundfont(name: str, package: str) -> Path:
    for folder in SOUNDFONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    dirs = ", ".join(str(d) for d in SOUNDFONT_DIRS)
    raise CorpusError(
        f"soundfont {name} was not found in {dirs}; install the Debian package '{package}' (apt-get install {package})."
    )


def _version(cmd: list[str], pattern: str) -> str:
    """The first match of pattern in the program's banner (mma prints its version on stderr or stdout)."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def mma_home() -> Path | None:
    """mma's data folder, searched the way mma itself does (MMA_HOME first)."""
    if os.environ.get("MMA_HOME"):
        return Path(os.environ["MMA_HOME"])
    return next((home for home in MMA_HOMES if (home / "lib").is_dir()), None)


def ensure_groove_db(mma: str) -> None:
    """mma looks plain groove names up in a database that a fresh install lacks; build it once."""
    home = mma_home()
    if home is None or (home / "lib" / "stdlib" / ".mmaDB").is_file():
        return
    done = subprocess.run([mma, "-G"], capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not (home / "lib" / "stdlib" / ".mmaDB").is_file():
        raise CorpusError(
            f"mma's groove database is missing under {home / 'lib'} and 'mma -G' could not build it "
            f"(it needs write access there; run 'mma -G' once as root): {done.stdout[-300:]}{done.stderr[-300:]}"
        )


def find_toolchain() -> Toolchain:
    """Everything the generator runs, or a CorpusError naming the Debian package that is missing."""
    mma = _program("mma", "mma")
    fluidsynth = _program("fluidsynth", "fluidsynth")
    soundfonts = {name: _soundfont(name, package) for name, package in SOUNDFONTS.items()}
    ensure_groove_db(mma)
    versions = {
        "mma": _version([mma, "-v"], r"(\d+\.\d+(?:\.\d+)?)"),
        "fluidsynth": _version([fluidsynth, "--version"], r"version (\S+)"),
    }
    return Toolchain(mma=mma, fluidsynth=fluidsynth, soundfonts=soundfonts, versions=versions)
