"""Writing a signed package ZIP and reading one back structurally (before any trust decision)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import SecurityError
from .crypto import sign_manifest
from .manifest import MANIFEST_PATH, SIGNATURE_PATH, FileEntry, Manifest, peek_format
from .safezip import DEFAULT_LIMITS, SafeZip, ZipLimits, open_zip

# Already compressed payloads are stored as they are (no time wasted, no ratio surprises).
_STORED_SUFFIXES = (".zip", ".xlsx", ".pdf", ".png", ".jpg", ".jpeg", ".docx")


def file_entry(path: str, data: bytes) -> FileEntry:
    return FileEntry(path, len(data), hashlib.sha256(data).hexdigest())


def write_package(manifest: Manifest, files: dict[str, bytes], private_key: Ed25519PrivateKey) -> bytes:
    """The ZIP bytes: manifest, its signature, then the payload in manifest order."""
    manifest_bytes = manifest.to_bytes()
    signature = base64.b64encode(sign_manifest(private_key, manifest_bytes)) + b"\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr(MANIFEST_PATH, manifest_bytes)
        zf.writestr(SIGNATURE_PATH, signature)
        for entry in manifest.files:
            method = zipfile.ZIP_STORED if entry.path.lower().endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            zf.writestr(entry.path, files[entry.path], compress_type=method)
    return buf.getvalue()


@dataclass
class RawPackage:
    """A package whose ZIP structure is sound; nothing in it is trusted yet."""

    label: str
    zip: SafeZip
    manifest_bytes: bytes
    signature: bytes
    claimed_fingerprint: str | None
    format_name: object
    format_version: object


def read_package(data: bytes, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> RawPackage:
    safe = open_zip(data, label, limits)
    for required in (MANIFEST_PATH, SIGNATURE_PATH):
        if required not in safe.infos:
            raise SecurityError(f"Пакет «{label}» отклонён: нет файла {required} — это не подписанный пакет ЕРСОКО.")
    manifest_bytes = safe.read(MANIFEST_PATH)
    sig_text = safe.read(SIGNATURE_PATH)
    try:
        signature = base64.b64decode(sig_text.strip(), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise SecurityError(f"Пакет «{label}» отклонён: файл подписи {SIGNATURE_PATH} повреждён.")
    fmt, version, fp = peek_format(manifest_bytes)
    return RawPackage(label, safe, manifest_bytes, signature, fp, fmt, version)


def check_payload(raw: RawPackage, manifest: Manifest) -> dict[str, bytes]:
    """The archive holds exactly the manifest's files, each with its size and SHA-256."""
    listed = [f.path for f in manifest.files]
    if len(set(listed)) != len(listed):
        raise SecurityError(f"Пакет «{raw.label}» отклонён: в манифесте файл указан дважды.")
    present = set(raw.zip.names) - {MANIFEST_PATH, SIGNATURE_PATH}
    extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
    if extra:
        raise SecurityError(f"Пакет «{raw.label}» отклонён: в архиве есть файлы, которых нет в манифесте: "
                            f"{', '.join(extra[:5])}.")
    if missing:
        raise SecurityError(f"Пакет «{raw.label}» отклонён: нет файлов, перечисленных в манифесте: "
                            f"{', '.join(missing[:5])}.")
    contents: dict[str, bytes] = {}
    for entry in manifest.files:
        if raw.zip.infos[entry.path].file_size != entry.size:
            raise SecurityError(f"Пакет «{raw.label}» отклонён: размер файла «{entry.path}» не совпадает с манифестом.")
        data = raw.zip.read(entry.path)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise SecurityError(f"Пакет «{raw.label}» отклонён: файл «{entry.path}» изменён после подписи "
                                "(SHA-256 не совпадает с манифестом).")
        contents[entry.path] = data
    return contents
