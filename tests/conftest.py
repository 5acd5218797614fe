"""Shared fixtures. Real-model fixtures are session-scoped so each model loads once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory, monkeypatch):
    """Keep every test's user data and cache out of the real home directory."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("VASIM_DATA", str(base / "data"))
    monkeypatch.setenv("VASIM_CACHE", str(os.environ.get("VASIM_TEST_CACHE") or base / "cache"))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def data_dir() -> Path:
    return DATA
