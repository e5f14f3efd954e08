"""Open a submission filled in an older definition with a newer one: fields are mapped by id,
and the person sees what changed instead of silently losing values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .schema import FieldSpec, FormSpec
from .values import CoercionError, coerce


@dataclass
class VersionMapping:
    old_version: str
    new_version: str
    values: dict[str, Any]  # the old values under the new definition
    kept: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # new fields, empty
    removed: dict[str, Any] = field(default_factory=dict)  # field id → old value that has no place now
    retyped: dict[str, str] = field(default_factory=dict)  # field id → why the old value was dropped
    relabeled: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped or self.relabeled)

    def messages(self) -> list[str]:
        out = []
        for fid in self.added:
            out.append(f"новое поле «{fid}» (не заполнено)")
        for fid, value in self.removed.items():
            out.append(f"поле «{fid}» удалено в версии {self.new_version}; прежнее значение: {value!r}")
        for fid, why in self.retyped.items():
            out.append(f"поле «{fid}»: {why}")
        for fid, (old, new) in self.relabeled.items():
            out.append(f"поле «{fid}» переименовано: «{old}» → «{new}»")
        return out

    def as_dict(self) -> dict:
        return {"old_version": self.old_version, "new_version": self.new_version, "kept": self.kept,
                "added": self.added, "removed": self.removed, "retyped": self.retyped,
                "relabeled": {k: list(v) for k, v in self.relabeled.items()}, "messages": self.messages()}


def _fields(spec: FormSpec) -> dict[str, FieldSpec]:
    return {f.id: f for f in spec.fields}


def map_values(old: FormSpec, new: FormSpec, values: Mapping[str, Any]) -> VersionMapping:
    """Carry values across by field id; a value that no longer fits the new type is reported."""
    old_fields, new_fields = _fields(old), _fields(new)
    mapping = VersionMapping(old.version, new.version, {})
    for fid, nf in new_fields.items():
        of = old_fields.get(fid)
        if of is None:
            mapping.added.append(fid)
            continue
        if of.label != nf.label:
            mapping.relabeled[fid] = (of.label, nf.label)
        value = values.get(fid)
        if value is None or nf.computed:
            mapping.kept.append(fid)
            continue
        try:
            mapping.values[fid] = coerce(nf, value)
            mapping.kept.append(fid)
        except CoercionError as exc:
            mapping.retyped[fid] = f"значение {value!r} не подходит к новому типу {nf.type}: {exc}"
    for fid, value in values.items():
        if fid not in new_fields and value is not None:
            mapping.removed[fid] = value
    return mapping
