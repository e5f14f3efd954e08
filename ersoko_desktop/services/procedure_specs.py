"""The procedure specs shipped in ``forms/procedures/`` (YAML), validated on load."""

from __future__ import annotations

from functools import lru_cache

import yaml

from ..domain.procedure_spec import SpecFile, find_spec, parse_spec_file
from ..errors import InputError
from ..paths import forms_root


@lru_cache(maxsize=1)
def shipped_specs() -> tuple[SpecFile, ...]:
    """Every spec file, parsed; a broken file is a programming error reported by name."""
    folder = forms_root() / "procedures"
    if not folder.is_dir():
        return ()
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        try:
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputError(f"Спецификация «{entry.name}» не читается как YAML: {exc}") from exc
        out.append(parse_spec_file(entry.name, data))
    return tuple(out)


def spec_for(kind: str, subject: str, grade: int, year: int) -> SpecFile | None:
    return find_spec(shipped_specs(), kind, subject, grade, year)
