"""``META/manifest.json``: what a package claims to contain, signed byte for byte.

The manifest is written once as canonical JSON (sorted keys, UTF-8) and the signature covers
those exact bytes; the parser is strict about types and refuses duplicate JSON keys, so two
readers can never see two different manifests in the same bytes.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import SecurityError

FORMAT_NAME = "ersoko-package"
FORMAT_VERSION = 1
MANIFEST_PATH = "META/manifest.json"
SIGNATURE_PATH = "META/manifest.sig"
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
DATASET_KINDS = ("school-report", "municipal-report", "trust-list")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FP = re.compile(r"([0-9A-F]{4} ){15}[0-9A-F]{4}")


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    def as_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class NestedEntry:
    """A complete signed package carried unchanged inside a municipal package."""

    path: str
    package_id: str
    seq: int
    sender_org: str
    sender_fingerprint: str
    sha256: str

    def as_dict(self) -> dict:
        return {"path": self.path, "package_id": self.package_id, "seq": self.seq, "sender_org": self.sender_org,
                "sender_fingerprint": self.sender_fingerprint, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    package_id: str
    seq: int
    created_at: str
    sender_org: str
    sender_name: str
    sender_kind: str
    sender_fingerprint: str
    recipient: str | None
    dataset_kind: str
    period: str | None
    files: tuple[FileEntry, ...]
    nested: tuple[NestedEntry, ...] = ()
    supersedes: str | None = None
    schema_versions: dict[str, Any] = field(default_factory=dict)
    # Signed claims about the payload (organizations, counts): cheap to show and check before
    # the data is parsed; import refuses a payload that does not match them.
    contents: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def as_dict(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "package_id": self.package_id,
            "seq": self.seq,
            "supersedes": self.supersedes,
            "created_at": self.created_at,
            "sender": {"org": self.sender_org, "name": self.sender_name, "kind": self.sender_kind,
                       "key_fingerprint": self.sender_fingerprint},
            "recipient": self.recipient,
            "dataset": {"kind": self.dataset_kind, "period": self.period},
            "schema_versions": self.schema_versions,
            "contents": self.contents,
            "files": [f.as_dict() for f in self.files],
            "nested": [n.as_dict() for n in self.nested],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def new_package_id() -> str:
    return str(uuid.uuid4())


def _bad(why: str) -> SecurityError:
    return SecurityError(f"Манифест пакета неверен: {why}.")


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _bad(f"ключ «{key}» повторяется")
        result[key] = value
    return result


def _get(obj: dict, key: str, kind, where: str, *, optional: bool = False):
    if not isinstance(obj, dict):
        raise _bad(f"«{where}» должен быть объектом")
    value = obj.get(key)
    if value is None and optional:
        return None
    if kind is int and isinstance(value, bool):
        raise _bad(f"поле «{where}.{key}» должно быть числом")
    if not isinstance(value, kind):
        raise _bad(f"поле «{where}.{key}» отсутствует или имеет неверный тип")
    return value


def _uuid(value: str, where: str) -> str:
    try:
        if str(uuid.UUID(value)) != value:
            raise ValueError
    except ValueError:
        raise _bad(f"«{where}» не является UUID: «{value}»") from None
    return value


def _fp(value: str, where: str) -> str:
    if not _FP.fullmatch(value):
        raise _bad(f"«{where}» не похож на отпечаток ключа")
    return value


def _sha(value: str, where: str) -> str:
    if not _SHA256.fullmatch(value):
        raise _bad(f"«{where}» не является SHA-256")
    return value


def peek_format(data: bytes) -> tuple[str | None, Any, str | None]:
    """(format, format_version, sender fingerprint) read before the signature is checked —
    only to pick the key and to name the problem; nothing else is trusted yet."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise _bad(f"слишком большой ({len(data)} байт)")
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad("это не JSON в UTF-8") from None
    if not isinstance(doc, dict):
        raise _bad("ожидался объект JSON")
    sender = doc.get("sender") if isinstance(doc.get("sender"), dict) else {}
    fp = sender.get("key_fingerprint")
    return doc.get("format"), doc.get("format_version"), fp if isinstance(fp, str) else None


def _check_claims(claims: dict, where: str) -> None:
    orgs = claims.get("orgs", [])
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        raise _bad(f"«{where}.orgs» должен быть списком кодов организаций")
    for key, value in claims.items():
        if key in ("orgs", "corrections") and where == "contents":
            continue
        if key != "orgs" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise _bad(f"«{where}.{key}» должен быть неотрицательным числом")


def parse(data: bytes) -> Manifest:
    """Parse signed manifest bytes strictly (call after the signature check)."""
    fmt, version, _ = peek_format(data)
    if fmt != FORMAT_NAME:
        raise _bad(f"формат «{fmt}» — это не пакет ЕРСОКО")
    if version != FORMAT_VERSION:
        raise SecurityError(f"Версия формата пакета {version!r} не поддерживается этой программой "
                            f"(поддерживается {FORMAT_VERSION}). Обновите ЕРСОКО Desktop.")
    doc = json.loads(data.decode("utf-8"))
    sender = _get(doc, "sender", dict, "manifest")
    dataset = _get(doc, "dataset", dict, "manifest")
    kind = _get(dataset, "kind", str, "dataset")
    if kind not in DATASET_KINDS:
        raise _bad(f"неизвестный вид данных «{kind}»")
    seq = _get(doc, "seq", int, "manifest")
    if seq < 1:
        raise _bad("номер пакета seq должен быть ≥ 1")
    files = []
    for i, item in enumerate(_get(doc, "files", list, "manifest")):
        where = f"files[{i}]"
        size = _get(item, "size", int, where)
        if size < 0:
            raise _bad(f"отрицательный размер в «{where}»")
        files.append(FileEntry(_get(item, "path", str, where), size, _sha(_get(item, "sha256", str, where), where)))
    nested = []
    for i, item in enumerate(_get(doc, "nested", list, "manifest")):
        where = f"nested[{i}]"
        nested.append(NestedEntry(
            _get(item, "path", str, where), _uuid(_get(item, "package_id", str, where), where),
            _get(item, "seq", int, where), _get(item, "sender_org", str, where),
            _fp(_get(item, "sender_fingerprint", str, where), where), _sha(_get(item, "sha256", str, where), where)))
    supersedes = _get(doc, "supersedes", str, "manifest", optional=True)
    schema_versions = _get(doc, "schema_versions", dict, "manifest", optional=True) or {}
    contents = _get(doc, "contents", dict, "manifest", optional=True) or {}
    _check_claims(contents, "contents")
    if "corrections" in contents:  # a municipality's own data about nested schools (services.packages)
        if not isinstance(contents["corrections"], dict):
            raise _bad("«contents.corrections» должен быть объектом")
        _check_claims(contents["corrections"], "contents.corrections")
    return Manifest(
        package_id=_uuid(_get(doc, "package_id", str, "manifest"), "package_id"),
        seq=seq,
        created_at=_get(doc, "created_at", str, "manifest"),
        sender_org=_get(sender, "org", str, "sender"),
        sender_name=_get(sender, "name", str, "sender", optional=True) or "",
        sender_kind=_get(sender, "kind", str, "sender"),
        sender_fingerprint=_fp(_get(sender, "key_fingerprint", str, "sender"), "sender.key_fingerprint"),
        recipient=_get(doc, "recipient", str, "manifest", optional=True),
        dataset_kind=kind,
        period=_get(dataset, "period", str, "dataset", optional=True),
        files=tuple(files),
        nested=tuple(nested),
        supersedes=_uuid(supersedes, "supersedes") if supersedes else None,
        schema_versions=schema_versions,
        contents=contents,
    )
