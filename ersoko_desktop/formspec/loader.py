"""Read form definitions from YAML files. The hash is over the canonical JSON of the definition,
so re-indenting a file does not change it, while any change of meaning does; packages carry it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import Diagnostic, InputError
from .schema import FormSpec, parse_definition

SUFFIX = ".form.yaml"


def definition_hash(data: Any) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_yaml_text(text: str, *, source: str) -> FormSpec:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise InputError(f"Файл «{source}»: ошибка YAML.",
                         diagnostics=[Diagnostic(str(getattr(exc, "problem", exc)), row=row, file=source)]) from exc
    # JSON round trip: dates and other YAML scalars become what the database will store.
    data = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    return parse_definition(data, source=source, sha256=definition_hash(data))


def load_file(path: str | Path) -> FormSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"Файл «{path.name}»: определение формы должно быть в кодировке UTF-8.") from exc
    return parse_yaml_text(text, source=path.name)


def definition_files(root: Any = None) -> list[Any]:
    """``*.form.yaml`` directly in the forms folder (subfolders hold other data, e.g. procedures)."""
    if root is None:
        from ..paths import forms_root

        root = forms_root()
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.name.endswith(SUFFIX) and p.is_file()), key=lambda p: p.name)


def load_shipped(root: Any = None) -> list[FormSpec]:
    """Every definition in the forms folder; all problems of all files in one error."""
    specs: list[FormSpec] = []
    problems: list[Diagnostic] = []
    seen: dict[tuple[str, str], str] = {}
    for path in definition_files(root):
        try:
            spec = parse_yaml_text(path.read_text(encoding="utf-8"), source=path.name)
        except InputError as exc:
            problems += exc.diagnostics or [Diagnostic(exc.message, file=path.name)]
            continue
        key = (spec.id, spec.version)
        if key in seen:
            problems.append(Diagnostic(f"форма «{spec.id}» версии {spec.version} уже определена в «{seen[key]}»",
                                       file=path.name))
            continue
        seen[key] = path.name
        specs.append(spec)
    if problems:
        raise InputError(f"Определения форм содержат ошибки ({len(problems)}).", diagnostics=problems)
    return specs
