"""Atomic writes: the file is the old one or the new one, never a mix; no temp files left."""

from __future__ import annotations

import os

import pytest

from ersoko_desktop.fileio import atomic_copy, atomic_write_bytes, atomic_write_text
from ersoko_desktop.settings import load_preferences, save_preferences


def test_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "Мои документы" / "отчёт.txt"
    atomic_write_text(target, "первый")
    atomic_write_text(target, "второй")
    assert target.read_text(encoding="utf-8") == "второй"
    assert os.listdir(target.parent) == ["отчёт.txt"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_bytes(target, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.json"]


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_mode_is_kept(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "x")
    assert target.stat().st_mode & 0o777 == 0o644
    os.chmod(target, 0o600)
    atomic_write_text(target, "y")
    assert target.stat().st_mode & 0o777 == 0o600


def test_atomic_copy(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(100_000))
    dst = atomic_copy(src, tmp_path / "out" / "dst.bin")
    assert dst.read_bytes() == src.read_bytes()


def test_preferences_round_trip(ersoko_home):
    save_preferences({"geometry": "abc", "фильтр": [1, 2]})
    assert load_preferences() == {"geometry": "abc", "фильтр": [1, 2]}
    assert sorted(p.name for p in ersoko_home.iterdir() if p.is_file()) == ["settings.json"]
