"""Signing keys of this database's organization and the registry of trusted keys (GUIDE §6).

The private key is a PKCS#8 PEM file in ``paths.keys_dir()`` (mode 600, optionally protected by a
passphrase); the database only knows its public half and the per-key sequence number. Other
organizations' public keys are enrolled out of band (a public key file checked against the
fingerprint on a printed key card) or through a signed trust list from the municipality/region.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Organization, SigningKey, TrustedKey, utcnow
from ..domain.fingerprints import fingerprint
from ..errors import InputError, NotFoundError, SecurityError, WorkflowError
from ..fileio import atomic_write_bytes
from ..packages.crypto import raw_public, x25519_public_from
from ..paths import keys_dir
from ..settings import own_organization
from . import audit

PUBLIC_KEY_FORMAT = "ersoko-public-key"
ROLES = ("school", "municipality", "region")
ROLE_RU = {"school": "школа", "municipality": "муниципалитет", "region": "регион"}
STATUSES = ("active", "retired", "revoked")
STATUS_RU = {"active": "действует", "retired": "выведен из обращения", "revoked": "отозван"}
# A status only moves forward: a revoked key is never trusted again.
_STATUS_RANK = {"active": 0, "retired": 1, "revoked": 2}
MAX_PUBLIC_KEY_FILE = 64 * 1024


@dataclass(frozen=True)
class KeyInfo:
    org_code: str
    org_name: str
    fingerprint: str
    private_key_file: str | None
    encrypted: bool
    next_seq: int
    created_at: dt.datetime
    created: bool = False

    def as_dict(self) -> dict:
        return {"org": self.org_code, "org_name": self.org_name, "fingerprint": self.fingerprint,
                "private_key_file": self.private_key_file, "encrypted": self.encrypted,
                "next_seq": self.next_seq, "created_at": self.created_at.isoformat(), "created": self.created}


@dataclass(frozen=True)
class KeyCard:
    """What the printed key card shows (the PDF is built by the reports module)."""

    org_code: str
    org_name: str
    fingerprint: str
    public_key_b64: str
    created_at: dt.datetime


@dataclass(frozen=True)
class PublicKeyDocument:
    """The public key file an organization hands out: signing key and encryption key."""

    org_code: str
    org_name: str
    kind: str
    ed25519: bytes
    x25519: bytes | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.ed25519)

    def as_dict(self) -> dict:
        return {"format": PUBLIC_KEY_FORMAT, "version": 1, "org_code": self.org_code, "org_name": self.org_name,
                "kind": self.kind, "fingerprint": self.fingerprint,
                "ed25519": base64.b64encode(self.ed25519).decode("ascii"),
                "x25519": base64.b64encode(self.x25519).decode("ascii") if self.x25519 else None}

    def to_bytes(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class TrustResult:
    key: "TrustedKeyView"
    created: bool
    message: str


@dataclass(frozen=True)
class TrustedKeyView:
    org_code: str
    fingerprint: str
    role: str
    status: str
    added_at: dt.datetime
    note: str | None

    def as_dict(self) -> dict:
        return {"org": self.org_code, "fingerprint": self.fingerprint, "role": self.role, "status": self.status,
                "added_at": self.added_at.isoformat(), "note": self.note}


def _view(key: TrustedKey) -> TrustedKeyView:
    return TrustedKeyView(key.org_code, key.fingerprint, key.role, key.status, key.added_at, key.note)


def normalize_fingerprint(text: str) -> str:
    """Accept a fingerprint typed with or without spaces, in any case; return the canonical form."""
    hexdigits = re.sub(r"[\s:\-]", "", text or "").upper()
    if not re.fullmatch(r"[0-9A-F]{64}", hexdigits):
        raise InputError(f"«{text}» не похоже на отпечаток ключа: ожидалось 64 шестнадцатеричных знака "
                         "(16 групп по 4, например «3F2A 91C0 …»).")
    return " ".join(hexdigits[i:i + 4] for i in range(0, 64, 4))


def require_own_org(session: Session) -> Organization:
    org = own_organization(session)
    if org is None:
        raise WorkflowError("У этой базы не выбрана своя организация: выполните «ersoko init --org КОД» "
                            "или пройдите первый запуск программы.")
    return org


def own_key(session: Session, org: Organization | None = None) -> SigningKey | None:
    """The active signing key of the own organization, or None before ``keys init``."""
    org = org or require_own_org(session)
    return session.scalar(select(SigningKey).where(SigningKey.org_id == org.id, SigningKey.status == "active")
                          .order_by(SigningKey.id.desc()))


def _require_own_key(session: Session) -> tuple[Organization, SigningKey]:
    org = require_own_org(session)
    key = own_key(session, org)
    if key is None:
        raise WorkflowError(f"У организации «{org.code}» ещё нет ключа подписи: выполните «ersoko keys init».")
    return org, key


def _safe_stem(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code) or "org"


def _write_private(path: Path, data: bytes) -> None:
    """Create the file readable by its owner only (0600) before a single byte is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def _info(org: Organization, key: SigningKey, *, created: bool = False) -> KeyInfo:
    path = key.private_key_file
    encrypted = False
    if path and Path(path).is_file():
        encrypted = b"ENCRYPTED" in Path(path).read_bytes()[:64]
    return KeyInfo(org.code, org.name, key.fingerprint, path, encrypted, key.next_seq, key.created_at, created)


def init_key(session: Session, *, passphrase: str | None = None) -> KeyInfo:
    """Generate the own organization's key pair, or return the existing one (``created=False``)."""
    org = require_own_org(session)
    existing = own_key(session, org)
    if existing is not None:
        return _info(org, existing)
    private = Ed25519PrivateKey.generate()
    public = raw_public(private.public_key())
    fp = fingerprint(public)
    stem = f"{_safe_stem(org.code)}-{fp.replace(' ', '')[:8]}"
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                  else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    directory = keys_dir()
    key_file = directory / f"{stem}.key"
    _write_private(key_file, pem)
    doc = PublicKeyDocument(org.code, org.name, org.kind, public, x25519_public_from(private))
    atomic_write_bytes(directory / f"{stem}.pub.json", doc.to_bytes())
    key = SigningKey(org_id=org.id, fingerprint=fp, public_key=public, private_key_file=str(key_file),
                     status="active", next_seq=1, created_at=utcnow())
    session.add(key)
    session.flush()
    audit.record(session, action="create", entity="signing_key", entity_id=fp, after={"org": org.code})
    return _info(org, key, created=True)


def show_key(session: Session) -> KeyInfo:
    org, key = _require_own_key(session)
    return _info(org, key)


def key_card_data(session: Session) -> KeyCard:
    """Data for the printable key card (organization, fingerprint, public key for the QR code)."""
    org, key = _require_own_key(session)
    return KeyCard(org.code, org.name, key.fingerprint, base64.b64encode(key.public_key).decode("ascii"), key.created_at)


def load_private_key(session: Session, *, passphrase: str | None = None) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The own private key, checked against the public key the database expects."""
    org, key = _require_own_key(session)
    path = Path(key.private_key_file or "")
    if not path.is_file():
        raise WorkflowError(f"Файл закрытого ключа организации «{org.code}» не найден: {path}. "
                            "Восстановите его из резервной копии или создайте новый ключ.")
    pem = path.read_bytes()
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        private = serialization.load_pem_private_key(pem, password=password)
    except TypeError:
        if password is None:
            raise SecurityError("Закрытый ключ защищён паролем: укажите пароль "
                                "(переменная окружения ERSOKO_KEY_PASSPHRASE или запрос в программе).") from None
        raise SecurityError("Закрытый ключ не защищён паролем, а пароль указан: уберите его.") from None
    except ValueError:
        raise SecurityError(f"Неверный пароль закрытого ключа или файл ключа повреждён: {path}.") from None
    if not isinstance(private, Ed25519PrivateKey) or raw_public(private.public_key()) != key.public_key:
        raise SecurityError(f"Файл {path} не соответствует ключу организации в базе (отпечаток {key.fingerprint}).")
    return key, private


def public_key_document(session: Session, *, passphrase: str | None = None) -> PublicKeyDocument:
    org, key = _require_own_key(session)
    stored = Path(key.private_key_file or "").with_suffix(".pub.json")
    if stored.is_file():
        doc = parse_public_key_file(stored)
        if doc.ed25519 == key.public_key:
            return PublicKeyDocument(org.code, org.name, org.kind, doc.ed25519, doc.x25519)
    _key, private = load_private_key(session, passphrase=passphrase)
    return PublicKeyDocument(org.code, org.name, org.kind, key.public_key, x25519_public_from(private))


def export_public(session: Session, *, out: str | Path, passphrase: str | None = None) -> Path:
    """Write the own public key file (to hand to the municipality/region with the key card)."""
    return atomic_write_bytes(Path(out), public_key_document(session, passphrase=passphrase).to_bytes())


def _b64(value, field: str, name: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != size:
        raise InputError(f"Файл ключа «{name}»: поле «{field}» должно содержать {size} байт в base64.")
    return raw


def parse_public_key_bytes(data: bytes, name: str) -> PublicKeyDocument:
    if len(data) > MAX_PUBLIC_KEY_FILE:
        raise InputError(f"Файл ключа «{name}» слишком велик для открытого ключа ({len(data)} байт).")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"Файл «{name}» не является файлом открытого ключа ЕРСОКО (ожидался JSON).") from None
    if not isinstance(doc, dict) or doc.get("format") != PUBLIC_KEY_FORMAT:
        raise InputError(f"Файл «{name}» не является файлом открытого ключа ЕРСОКО (нет \"format\": \"{PUBLIC_KEY_FORMAT}\").")
    if doc.get("version") != 1:
        raise InputError(f"Файл ключа «{name}»: неподдерживаемая версия {doc.get('version')!r}, ожидалась 1.")
    code, kind = doc.get("org_code"), doc.get("kind")
    if not isinstance(code, str) or not code.strip():
        raise InputError(f"Файл ключа «{name}»: не указан код организации (org_code).")
    if kind not in ROLES:
        raise InputError(f"Файл ключа «{name}»: тип организации «{kind}» неизвестен; ожидалось: {', '.join(ROLES)}.")
    ed = _b64(doc.get("ed25519"), "ed25519", name, 32)
    x = _b64(doc["x25519"], "x25519", name, 32) if doc.get("x25519") else None
    result = PublicKeyDocument(code.strip(), str(doc.get("org_name") or ""), kind, ed, x)
    stated = doc.get("fingerprint")
    if stated and normalize_fingerprint(str(stated)) != result.fingerprint:
        raise SecurityError(f"Файл ключа «{name}»: указанный отпечаток {stated} не совпадает с ключом "
                            f"({result.fingerprint}). Файл подменён или повреждён.")
    return result


def parse_public_key_file(path: str | Path) -> PublicKeyDocument:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_PUBLIC_KEY_FILE + 1)
    except OSError as exc:
        raise InputError(f"Не удалось прочитать файл ключа «{path}»: {exc.strerror or exc}.") from None
    return parse_public_key_bytes(data, path.name)


def add_trusted(session: Session, doc: PublicKeyDocument, *, role: str | None = None, status: str = "active",
                note: str | None = None) -> TrustResult:
    """Enrol one public key. A known key keeps its row; its status may only move forward."""
    role = role or doc.kind
    if role not in ROLES:
        raise InputError(f"Неизвестная роль ключа «{role}»; ожидалось: {', '.join(ROLES)}.")
    if status not in STATUSES:
        raise InputError(f"Неизвестный статус ключа «{status}»; ожидалось: {', '.join(STATUSES)}.")
    org = session.scalar(select(Organization).where(Organization.code == doc.org_code))
    if org is not None and org.kind != role:
        raise InputError(f"Организация «{doc.org_code}» в реестре — {ROLE_RU[org.kind]}, а ключ заявлен "
                         f"с ролью «{ROLE_RU[role]}». Проверьте файл ключа.")
    fp = doc.fingerprint
    own = session.scalar(select(SigningKey).where(SigningKey.fingerprint == fp))
    if own is not None:
        raise InputError(f"Ключ {fp} — собственный ключ этой базы; доверять ему отдельно не нужно.")
    existing = session.scalar(select(TrustedKey).where(TrustedKey.fingerprint == fp))
    if existing is not None:
        if existing.org_code != doc.org_code:
            raise SecurityError(f"Ключ {fp} уже зарегистрирован за организацией «{existing.org_code}», "
                                f"а файл называет «{doc.org_code}». Ключ не добавлен.")
        if existing.status == "revoked" and status != "revoked":
            raise SecurityError(f"Ключ {fp} организации «{doc.org_code}» отозван; повторно доверять ему нельзя.")
        if _STATUS_RANK[status] > _STATUS_RANK[existing.status]:
            before = existing.status
            existing.status = status
            audit.record(session, action="status", entity="trusted_key", entity_id=fp,
                         before={"status": before}, after={"status": status})
            return TrustResult(_view(existing), False, f"статус ключа изменён: {STATUS_RU[before]} → {STATUS_RU[status]}")
        return TrustResult(_view(existing), False, "ключ уже в списке доверенных, ничего не изменено")
    key = TrustedKey(org_code=doc.org_code, fingerprint=fp, public_key=doc.ed25519, role=role, status=status,
                     added_at=utcnow(), note=note)
    session.add(key)
    session.flush()
    audit.record(session, action="trust", entity="trusted_key", entity_id=fp,
                 after={"org": doc.org_code, "role": role, "status": status})
    return TrustResult(_view(key), True, "ключ добавлен в список доверенных")


def trust_file(session: Session, path: str | Path, *, role: str | None = None) -> TrustResult:
    """``ersoko keys trust FILE``: enrol a public key file after checking it is well formed."""
    doc = parse_public_key_file(path)
    return add_trusted(session, doc, role=role, note=f"из файла {Path(path).name}")


def set_status(session: Session, fp: str, status: str) -> TrustedKeyView:
    """Retire or revoke a trusted key (revoking is final)."""
    fp = normalize_fingerprint(fp)
    key = session.scalar(select(TrustedKey).where(TrustedKey.fingerprint == fp))
    if key is None:
        raise NotFoundError(f"Ключ с отпечатком {fp} не найден в списке доверенных.")
    if _STATUS_RANK[status] < _STATUS_RANK[key.status]:
        raise WorkflowError(f"Ключ {fp} уже {STATUS_RU[key.status]}; вернуть статус «{STATUS_RU[status]}» нельзя.")
    if key.status != status:
        audit.record(session, action="status", entity="trusted_key", entity_id=fp,
                     before={"status": key.status}, after={"status": status})
        key.status = status
    return _view(key)


def revoke(session: Session, fp: str) -> TrustedKeyView:
    return set_status(session, fp, "revoked")


def retire(session: Session, fp: str) -> TrustedKeyView:
    return set_status(session, fp, "retired")


def list_trusted(session: Session) -> list[TrustedKeyView]:
    rows = session.scalars(select(TrustedKey).order_by(TrustedKey.role, TrustedKey.org_code, TrustedKey.id))
    return [_view(k) for k in rows]


def trusted_by_fingerprint(session: Session, fp: str) -> TrustedKey | None:
    return session.scalar(select(TrustedKey).where(TrustedKey.fingerprint == fp))
