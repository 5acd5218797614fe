"""Where things live: the repository's scenario library and the user's private data."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def scenarios_dir() -> Path:
    """The scenario library (``$VASIM_SCENARIOS`` overrides the repository's ``scenarios/``)."""
    return Path(os.environ.get("VASIM_SCENARIOS") or REPO_DIR / "scenarios")


def models_dir() -> Path:
    """Converted or assembled model weights (git-ignored), ``$VASIM_MODELS`` overrides."""
    return Path(os.environ.get("VASIM_MODELS") or REPO_DIR / "models")


def data_dir() -> Path:
    """The user's private data (recordings, journals, results): ``$VASIM_DATA`` or XDG.

    Created with mode 0700 so only the user can read trainee recordings and scores.
    """
    base = os.environ.get("VASIM_DATA")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(xdg) / "va-simulator"
    private_dir(path)
    return path


def cache_dir() -> Path:
    """Re-creatable files (the synthesis cache): ``$VASIM_CACHE`` or XDG cache."""
    base = os.environ.get("VASIM_CACHE")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(xdg) / "va-simulator"
    path.mkdir(parents=True, exist_ok=True)
    return path


def private_dir(path: Path) -> Path:
    """Make ``path`` (and parents) exist, readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
