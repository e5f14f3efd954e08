"""Signed packages between school, municipality and ЦОКО: export, verify, import (GUIDE §6).

Verification order: the ZIP structure (defensive reader) → the sender key in the trust list →
the Ed25519 signature over the exact manifest bytes → the manifest → recipient and roles →
the exact file list and every SHA-256 → human-readable XLSX copies → nested school packages →
replay/rollback against packages imported before → the payload's shape and organizations → a
municipality's corrections of nested schools' data (``corrections/``, only for nested schools, as
claimed in the signed manifest; applied after the schools' data and shown as conflicts with it).
Only then does import back up the database and write, in the caller's one transaction.
A refusal writes one ``package_log`` row and nothing else; a verification writes one ``verify`` row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.backup import backup_engine
from ..db.models import (
    ImportBatch,
    Organization,
    PackageLog,
    ParticipantResult,
    Procedure,
    SigningKey,
    TrustedKey,
    utcnow,
)
from ..db.unique import insert_once
from ..errors import ErsokoError, InputError, SecurityError, WorkflowError
from ..fileio import atomic_write_bytes
from ..packages import crypto
from ..packages.container import check_payload, file_entry, read_package, write_package
from ..packages.manifest import FORMAT_NAME, FORMAT_VERSION, FileEntry, Manifest, NestedEntry, new_package_id, parse
from ..packages.human_pdf import Heading, summary_pdf
from ..packages.xlsx_check import check_xlsx
from ..progress import Progress
from . import audit, keys
from .orgs import descendants
from .package_apply import ApplyStats, apply_payload, received_store
from .package_payload import (
    CORRECTED_FORMS_PATH,
    CORRECTED_RESULTS_PATH,
    DATA_VERSION,
    FORMS_PATH,
    RESULT_COLUMNS,
    RESULTS_PATH,
    ROADMAPS_PATH,
    SUMMARY_PATH,
    TRUST_PATH,
    Payload,
    collect_forms,
    collect_results,
    collect_roadmaps,
    collect_summary,
    dumps,
    evidence_files,
    parse_payload,
    parse_period,
)

MAX_PACKAGE_FILE = 512 * 1024 * 1024
PDF_PATH = "human/summary.pdf"
KIND_RU = {"school-report": "отчёт школы", "municipal-report": "отчёт муниципалитета", "trust-list": "список доверия"}
_REPORT_KIND = {"school": "school-report", "municipality": "municipal-report"}


# ---------------------------------------------------------------- results of the service calls

@dataclass(frozen=True)
class ExportResult:
    path: Path
    package_id: str
    seq: int
    sender_org: str
    recipient: str | None
    dataset_kind: str
    period: str | None
    sha256: str
    files: int
    nested: list[str]
    counts: dict
    encrypted: bool
    warnings: list[str]

    def as_dict(self) -> dict:
        return {"file": str(self.path), "package_id": self.package_id, "seq": self.seq, "sender": self.sender_org,
                "recipient": self.recipient, "kind": self.dataset_kind, "period": self.period, "sha256": self.sha256,
                "files": self.files, "nested": self.nested, "counts": self.counts, "encrypted": self.encrypted,
                "warnings": self.warnings}


@dataclass
class VerifyReport:
    """What the verifier found; ``valid`` False means refused, with ``reason`` in Russian."""

    file: str
    valid: bool = False
    reason: str | None = None
    status: str = "refused"  # new | duplicate | refused
    package_id: str | None = None
    seq: int | None = None
    sender_org: str | None = None
    sender_name: str | None = None
    sender_kind: str | None = None
    sender_fingerprint: str | None = None
    key_status: str | None = None
    recipient: str | None = None
    dataset_kind: str | None = None
    period: str | None = None
    created_at: str | None = None
    encrypted: bool = False
    sha256: str | None = None
    files: int = 0
    counts: dict = field(default_factory=dict)
    # a municipality's own data about nested schools: {"orgs": [...], "results": n, "submissions": n}
    corrections: dict = field(default_factory=dict)
    nested: list["VerifyReport"] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "nested"}
        data["nested"] = [n.as_dict() for n in self.nested]
        if not self.valid:
            data["error"] = self.reason
        return data


@dataclass(frozen=True)
class ImportReport:
    file: str
    status: str  # imported | duplicate | refused
    message: str
    verification: VerifyReport
    stats: ApplyStats | None = None
    backup: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def as_dict(self) -> dict:
        data = {"file": self.file, "status": self.status, "message": self.message,
                "verification": self.verification.as_dict(),
                "stats": self.stats.as_dict() if self.stats else None,
                "backup": str(self.backup) if self.backup else None}
        if not self.ok:
            data["error"] = self.message
        return data


# ---------------------------------------------------------------- verification

@dataclass
class _Verified:
    manifest: Manifest
    sha256: str
    data: bytes
    report: VerifyReport
    payload: Payload | None
    trust_entries: list[dict]
    nested: list["_Verified"]
    corrections: Payload | None = None


def _refuse(message: str) -> SecurityError:
    return SecurityError(message)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_FILE:
            raise _refuse(f"Файл «{path.name}» слишком велик для пакета ({size} байт, предел {MAX_PACKAGE_FILE}).")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"Не удалось прочитать файл «{path}»: {exc.strerror or exc}.") from None


def _imported(session: Session):
    return select(PackageLog).where(PackageLog.direction == "import", PackageLog.result == "ok")


@dataclass(frozen=True)
class _Org:
    code: str
    kind: str
    parent: str | None


class _Lookups:
    """What verification asks the database, loaded once per call (a municipal package asks it 31 times)."""

    def __init__(self, session: Session, own: Organization):
        self.session, self.own = session, own
        rows = session.execute(select(Organization.id, Organization.code, Organization.kind, Organization.parent_id)).all()
        code_of = {i: c for i, c, _k, _p in rows}
        self.orgs = {c: _Org(c, k, code_of.get(p)) for _i, c, k, p in rows}
        self.children: dict[str, list[str]] = {}
        for org in self.orgs.values():
            if org.parent:
                self.children.setdefault(org.parent, []).append(org.code)
        self.trusted = {k.fingerprint: k for k in session.scalars(select(TrustedKey))}
        self.imported: dict[str, set[str]] = {}
        for package_id, sha in session.execute(select(PackageLog.package_id, PackageLog.sha256).where(
                PackageLog.direction == "import", PackageLog.result == "ok")):
            self.imported.setdefault(package_id, set()).add(sha)
        self.last_seq = dict(session.execute(
            select(PackageLog.sender_fingerprint, func.max(PackageLog.seq))
            .where(PackageLog.direction == "import", PackageLog.result == "ok")
            .group_by(PackageLog.sender_fingerprint)).all())

    def subtree(self, code: str | None) -> set[str]:
        if code is None or code not in self.orgs:
            return set()
        result, frontier = {code}, [code]
        while frontier:
            frontier = [c for parent in frontier for c in self.children.get(parent, [])]
            result.update(frontier)
        return result


def _replay_status(look: _Lookups, manifest: Manifest, sha: str, label: str) -> str:
    """'new' or 'duplicate'; raises on the same id with other bytes and on an old sequence number."""
    same_id = look.imported.get(manifest.package_id, set())
    if sha in same_id:
        return "duplicate"
    if same_id:
        raise _refuse(f"Пакет «{label}» отклонён: пакет с идентификатором {manifest.package_id} уже принят, "
                      "но его содержимое было другим. Возможна подмена — сообщите отправителю.")
    last = look.last_seq.get(manifest.sender_fingerprint)
    if last is not None and manifest.seq <= last:
        raise _refuse(f"Пакет «{label}» отклонён: номер пакета {manifest.seq} от «{manifest.sender_org}» не больше "
                      f"уже принятого ({last}) — это повтор или откат к старым данным.")
    return "new"


def _check_sender(look: _Lookups, manifest: Manifest, trusted: TrustedKey, label: str) -> _Org | None:
    if trusted.org_code != manifest.sender_org:
        raise _refuse(f"Пакет «{label}» отклонён: ключ {trusted.fingerprint} принадлежит «{trusted.org_code}», "
                      f"а пакет подписан от имени «{manifest.sender_org}».")
    if trusted.role != manifest.sender_kind:
        raise _refuse(f"Пакет «{label}» отклонён: ключ зарегистрирован с ролью «{trusted.role}», "
                      f"а отправитель указан как «{manifest.sender_kind}».")
    allowed = {"school": ("school-report",), "municipality": ("municipal-report", "trust-list"),
               "region": ("trust-list",)}.get(trusted.role, ())
    if manifest.dataset_kind not in allowed:
        raise _refuse(f"Пакет «{label}» отклонён: организация с ролью «{trusted.role}» не может отправлять "
                      f"«{KIND_RU.get(manifest.dataset_kind, manifest.dataset_kind)}».")
    org = look.orgs.get(manifest.sender_org)
    if org is not None and org.kind != manifest.sender_kind:
        raise _refuse(f"Пакет «{label}» отклонён: «{org.code}» в реестре — {org.kind}, а не {manifest.sender_kind}.")
    if org is None and manifest.dataset_kind != "trust-list":
        raise _refuse(f"Пакет «{label}» отклонён: отправитель «{manifest.sender_org}» не найден в реестре организаций. "
                      "Сначала обновите реестр (ersoko org import).")
    return org


def _verify(look: _Lookups, data: bytes, label: str, *, passphrase: str | None,
            parent: Manifest | None = None, progress: Progress | None = None, deep: bool = False) -> _Verified:
    """``deep`` also parses the payload (import needs it; a verification report does not)."""
    report = VerifyReport(file=label)
    try:
        return _verify_into(look, data, label, report, passphrase=passphrase, parent=parent,
                            progress=progress, deep=deep)
    except ErsokoError as exc:
        exc.report = report  # type: ignore[attr-defined]  # what was learned before the refusal
        raise


def _verify_into(look: _Lookups, data: bytes, label: str, report: VerifyReport, *,
                 passphrase: str | None, parent: Manifest | None, progress: Progress | None,
                 deep: bool) -> _Verified:
    progress = progress or Progress.none()
    if crypto.is_encrypted(data):
        if parent is not None:
            raise _refuse(f"Вложенный пакет «{label}» зашифрован; вложенные пакеты должны быть открытыми.")
        report.encrypted = True
        _key, private = keys.load_private_key(look.session, passphrase=passphrase)
        data = crypto.decrypt_with(private, data)
    sha = hashlib.sha256(data).hexdigest()
    report.sha256 = sha
    raw = read_package(data, label)
    if raw.format_name != FORMAT_NAME:
        raise _refuse(f"Пакет «{label}» отклонён: это не пакет ЕРСОКО (формат «{raw.format_name}»).")
    if raw.format_version != FORMAT_VERSION:
        raise _refuse(f"Пакет «{label}» отклонён: версия формата {raw.format_version!r} не поддерживается "
                      f"(поддерживается {FORMAT_VERSION}). Обновите программу.")
    fp = raw.claimed_fingerprint
    report.sender_fingerprint = fp
    trusted = look.trusted.get(fp) if fp else None
    if trusted is None:
        raise _refuse(f"Пакет «{label}» отклонён: ключ отправителя {fp or '(не указан)'} не входит в список "
                      "доверенных. Получите карточку ключа и выполните «ersoko keys trust ФАЙЛ».")
    report.key_status = trusted.status
    if not crypto.manifest_signature_ok(trusted.public_key, raw.manifest_bytes, raw.signature):
        raise _refuse(f"Пакет «{label}» отклонён: подпись манифеста неверна — пакет изменён после подписи "
                      "или подписан другим ключом.")
    if trusted.status == "revoked":
        raise _refuse(f"Пакет «{label}» отклонён: ключ отправителя «{trusted.org_code}» ({fp}) отозван.")
    if trusted.status == "retired":
        report.warnings.append(f"ключ отправителя «{trusted.org_code}» выведен из обращения; попросите новый ключ")
    manifest = parse(raw.manifest_bytes)
    report.package_id, report.seq = manifest.package_id, manifest.seq
    report.sender_org, report.sender_name, report.sender_kind = (manifest.sender_org, manifest.sender_name,
                                                                 manifest.sender_kind)
    report.recipient, report.dataset_kind, report.period = manifest.recipient, manifest.dataset_kind, manifest.period
    report.created_at = manifest.created_at
    sender_org = _check_sender(look, manifest, trusted, label)
    if parent is None:
        if manifest.recipient is None:
            report.warnings.append("у пакета не указан получатель")
        elif manifest.recipient != look.own.code:
            raise _refuse(f"Пакет «{label}» отклонён: он адресован «{manifest.recipient}», "
                          f"а эта база принадлежит «{look.own.code}».")
    else:
        if manifest.dataset_kind != "school-report" or parent.dataset_kind != "municipal-report":
            raise _refuse(f"Пакет «{label}» отклонён: вложенными могут быть только отчёты школ в пакете муниципалитета.")
        if manifest.recipient != parent.sender_org:
            raise _refuse(f"Вложенный пакет «{label}» адресован «{manifest.recipient}», а не муниципалитету "
                          f"«{parent.sender_org}», который его переслал.")
        if sender_org is None or sender_org.parent != parent.sender_org:
            raise _refuse(f"Вложенный пакет «{label}»: школа «{manifest.sender_org}» не относится к муниципалитету "
                          f"«{parent.sender_org}» по реестру.")
    contents = check_payload(raw, manifest)
    report.files = len(contents)
    for path, blob in contents.items():
        if path.lower().endswith(".xlsx"):
            check_xlsx(blob, f"{label}: {path}")
    nested = _verify_nested(look, manifest, contents, label, passphrase, deep) if manifest.nested else []
    if manifest.dataset_kind != "municipal-report" and (
            manifest.nested or any(p.startswith("nested/") for p in contents)):
        raise _refuse(f"Пакет «{label}» отклонён: вложенные пакеты допустимы только в пакете муниципалитета.")
    report.nested = [n.report for n in nested]
    report.status = _replay_status(look, manifest, sha, label)
    payload, trust_entries = None, []
    if manifest.dataset_kind == "trust-list":
        trust_entries = _parse_trust_list(look, contents, manifest, label)
        report.counts = {"keys": len(trust_entries)}
    else:
        claimed = set(manifest.contents.get("orgs", []))
        allowed = look.subtree(manifest.sender_org) - {n.manifest.sender_org for n in nested}
        unknown = sorted(claimed - allowed)
        if unknown:
            raise _refuse(f"Пакет «{label}» отклонён: в данных есть организации вне зоны отправителя "
                          f"«{manifest.sender_org}» или не найденные в реестре: {', '.join(unknown[:5])}.")
        report.counts = {k: v for k, v in manifest.contents.items() if k not in ("orgs", "corrections")}
        if deep:
            payload = _parse_claimed(contents, manifest, label)
    report.corrections = _corrections_claim(manifest, contents, {n.manifest.sender_org for n in nested}, label)
    corrections = _parse_corrections(contents, report.corrections, label) if deep and report.corrections else None
    report.valid = True
    report.reason = None
    progress.step(0.1, "Пакет проверен")
    return _Verified(manifest, sha, data, report, payload, trust_entries, nested, corrections)


def _corrections_claim(manifest: Manifest, contents: dict[str, bytes], nested_senders: set[str], label: str) -> dict:
    """A municipality may correct only schools whose own signed packages it nests, and must say so in the
    signed manifest; anything else under ``corrections/`` is refused."""
    claim = manifest.contents.get("corrections")
    files = sorted(p for p in contents if p.startswith("corrections/"))
    if claim is None and not files:
        return {}
    if manifest.dataset_kind != "municipal-report" or not isinstance(claim, dict):
        raise _refuse(f"Пакет «{label}» отклонён: исправления данных школ допустимы только в пакете муниципалитета "
                      "и должны быть заявлены в манифесте.")
    orgs = claim.get("orgs")
    if (not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs)
            or any(not isinstance(claim.get(k), int) or isinstance(claim.get(k), bool) for k in ("results", "submissions"))
            or set(files) - {CORRECTED_RESULTS_PATH, CORRECTED_FORMS_PATH}):
        raise _refuse(f"Пакет «{label}» отклонён: сведения об исправлениях муниципалитета в манифесте неверны.")
    outside = sorted(set(orgs) - nested_senders)
    if outside:
        raise _refuse(f"Пакет «{label}» отклонён: муниципалитет исправляет данные школ, чьих подписанных пакетов "
                      f"нет среди вложенных: {', '.join(outside[:5])}.")
    return {"orgs": sorted(orgs), "results": claim["results"], "submissions": claim["submissions"]}


def _parse_corrections(contents: dict[str, bytes], claim: dict, label: str) -> Payload:
    parts = {p: b for p, b in contents.items()
             if p in (CORRECTED_RESULTS_PATH, CORRECTED_FORMS_PATH) or p.startswith("evidence/")}
    payload = parse_payload(parts, results_path=CORRECTED_RESULTS_PATH, forms_path=CORRECTED_FORMS_PATH)
    counts = payload.counts()
    if (not payload.org_codes() <= set(claim["orgs"]) or counts["results"] != claim["results"]
            or counts["submissions"] != claim["submissions"]):
        raise _refuse(f"Пакет «{label}» отклонён: исправления муниципалитета не совпадают с заявленными в манифесте.")
    return payload


def _parse_claimed(contents: dict[str, bytes], manifest: Manifest, label: str) -> Payload:
    """The payload, parsed strictly and held to the manifest's signed claims."""
    payload = parse_payload(contents)
    stray = sorted(payload.org_codes() - set(manifest.contents.get("orgs", [])))
    if stray:
        raise _refuse(f"Пакет «{label}» отклонён: данные называют организации, не заявленные в манифесте: "
                      f"{', '.join(stray[:5])}.")
    counts = payload.counts()
    wrong = [k for k, v in counts.items() if manifest.contents.get(k, 0) != v]
    if wrong:
        raise _refuse(f"Пакет «{label}» отклонён: число записей ({', '.join(wrong)}) не совпадает с манифестом.")
    return payload


def _verify_nested(look: _Lookups, manifest: Manifest, contents: dict[str, bytes], label: str,
                   passphrase: str | None, deep: bool) -> list[_Verified]:
    if manifest.dataset_kind != "municipal-report":
        raise _refuse(f"Пакет «{label}» отклонён: вложенные пакеты допустимы только в пакете муниципалитета.")
    listed = {e.path for e in manifest.nested}
    stray = sorted(p for p in contents if p.startswith("nested/") and p not in listed)
    if stray or len(listed) != len(manifest.nested):
        raise _refuse(f"Пакет «{label}» отклонён: вложенные файлы не совпадают с перечнем в манифесте.")
    result: list[_Verified] = []
    senders: set[str] = set()
    for entry in manifest.nested:
        blob = contents.get(entry.path)
        if blob is None or hashlib.sha256(blob).hexdigest() != entry.sha256:
            raise _refuse(f"Пакет «{label}» отклонён: вложенный пакет «{entry.path}» отсутствует или изменён.")
        inner = _verify(look, blob, f"{label} → {entry.path}", passphrase=passphrase, parent=manifest,
                        deep=deep)
        m = inner.manifest
        if (m.package_id, m.seq, m.sender_org, m.sender_fingerprint) != (
                entry.package_id, entry.seq, entry.sender_org, entry.sender_fingerprint):
            raise _refuse(f"Пакет «{label}» отклонён: сведения о вложенном пакете «{entry.path}» в манифесте "
                          "не совпадают с самим пакетом.")
        if m.sender_org in senders:
            raise _refuse(f"Пакет «{label}» отклонён: два вложенных пакета от «{m.sender_org}».")
        senders.add(m.sender_org)
        result.append(inner)
    return result


def _parse_trust_list(look: _Lookups, contents: dict[str, bytes], manifest: Manifest, label: str) -> list[dict]:
    try:
        doc = json.loads(contents.get(TRUST_PATH, b"").decode("utf-8"))
        items = doc["keys"]
        assert isinstance(items, list)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError):
        raise _refuse(f"Список доверия «{label}» отклонён: файл {TRUST_PATH} отсутствует или повреждён.") from None
    subtree = look.subtree(manifest.sender_org)
    entries = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _refuse(f"Список доверия «{label}»: запись {i + 1} повреждена.")
        doc_ = keys.parse_public_key_bytes(json.dumps(item | {"format": keys.PUBLIC_KEY_FORMAT, "version": 1}).encode(),
                                           f"{label}, запись {i + 1}")
        status = item.get("status", "active")
        if status not in keys.STATUSES:
            raise _refuse(f"Список доверия «{label}»: запись {i + 1}: неизвестный статус «{status}».")
        if manifest.sender_kind == "municipality" and doc_.org_code not in subtree:
            raise _refuse(f"Список доверия «{label}» отклонён: муниципалитет «{manifest.sender_org}» включил ключ "
                          f"«{doc_.org_code}», которая не относится к нему по реестру.")
        entries.append({"doc": doc_, "status": status})
    return entries


def _own(session: Session) -> Organization:
    return keys.require_own_org(session)


def verify_package(session: Session, path: str | Path, *, passphrase: str | None = None,
                   progress: Progress | None = None) -> VerifyReport:
    """Check a package without touching its data; an invalid package gives ``valid=False`` and the reason.

    The verification itself is journalled (``package_log`` with direction ``verify``), valid or
    refused with the reason, so the journal shows every received file that was looked at. These rows
    never count for the replay checks, which look only at imports."""
    path = Path(path)
    own = _own(session)
    try:
        report = _verify(_Lookups(session, own), _read_bytes(path), path.name, passphrase=passphrase,
                         progress=progress).report
    except (SecurityError, InputError) as exc:
        report = getattr(exc, "report", None) or VerifyReport(file=path.name)
        report.valid, report.status, report.reason = False, "refused", exc.message
    _log(session, direction="verify", result=_LOG_RESULT[report.status], report=report, file_name=path.name,
         message=_verify_message(report))
    return report


_LOG_RESULT = {"new": "ok", "duplicate": "duplicate", "refused": "refused"}


def _verify_message(report: VerifyReport) -> str:
    if not report.valid:
        return report.reason or "пакет отклонён"
    state = "уже импортирован" if report.status == "duplicate" else "ещё не импортирован"
    what = KIND_RU.get(report.dataset_kind or "", report.dataset_kind or "")
    text = f"Пакет действителен ({what}, период {report.period or 'весь'}; {state})"
    if report.nested:
        text += f"; вложенных пакетов школ: {len(report.nested)}"
    return text + "."


# ---------------------------------------------------------------- import

def _log(session: Session, *, direction: str, result: str, manifest: Manifest | None = None,
         report: VerifyReport | None = None, sha: str | None = None, file_name: str | None = None,
         message: str | None = None, add: bool = True) -> PackageLog:
    row = PackageLog(direction=direction, result=result, file_name=(file_name or "")[:500] or None,
                     message=message, created_at=utcnow())
    if manifest is not None:
        row.package_id, row.seq = manifest.package_id, manifest.seq
        row.sender_org, row.sender_fingerprint, row.recipient_org = (manifest.sender_org, manifest.sender_fingerprint,
                                                                     manifest.recipient)
    elif report is not None:
        row.package_id, row.seq, row.sender_org = report.package_id, report.seq, report.sender_org
        row.sender_fingerprint, row.recipient_org = report.sender_fingerprint, report.recipient
    row.sha256 = sha or (report.sha256 if report else None)
    if add:
        session.add(row)
    return row


def _backup(session: Session) -> Path | None:
    return backup_engine(session.get_bind(), "before-import")


def _keep(verified: _Verified) -> None:
    target = received_store() / f"{verified.sha256}.zip"
    if not target.exists():
        atomic_write_bytes(target, verified.data)


def _org_ids(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(session.execute(select(Organization.code, Organization.id).where(Organization.code.in_(codes))).all())


def _apply_trust_list(session: Session, verified: _Verified, stats: ApplyStats) -> None:
    own_fps = set(session.scalars(select(SigningKey.fingerprint)))
    for entry in verified.trust_entries:
        doc, status = entry["doc"], entry["status"]
        if doc.fingerprint in own_fps:
            continue
        existing = keys.trusted_by_fingerprint(session, doc.fingerprint)
        if existing is not None and existing.status == "revoked":
            continue
        if existing is not None and keys._STATUS_RANK[status] < keys._STATUS_RANK[existing.status]:
            stats.warnings.append(f"ключ «{doc.org_code}» здесь уже «{existing.status}»; статус «{status}» из списка "
                                  "не применён (статус меняется только вперёд)")
            continue
        result = keys.add_trusted(session, doc, status=status,
                                  note=f"из списка доверия {verified.manifest.sender_org} №{verified.manifest.seq}")
        if result.created or "изменён" in result.message:
            stats.warnings.append(f"{doc.org_code}: {result.message}")


def import_package(session: Session, path: str | Path, *, passphrase: str | None = None,
                   progress: Progress | None = None, backup: bool = True,
                   accept_incoming: bool = False) -> ImportReport:
    """Verify, back up, then write the package in the caller's transaction. Refusals only log.

    ``accept_incoming`` is the user's explicit choice to take the package's data where it conflicts with
    data here (a newer local edit, a municipality's correction of a school's data); every such override
    is audited. Without it the local data stays and the conflict is reported."""
    path = Path(path)
    progress = progress or Progress.none()
    own = _own(session)
    try:
        verified = _verify(_Lookups(session, own), _read_bytes(path), path.name, passphrase=passphrase,
                           progress=progress, deep=True)
    except (SecurityError, InputError) as exc:
        return _refused(session, path, exc)
    m = verified.manifest
    status, claim = verified.report.status, None
    if status == "new":
        claim = _log(session, direction="import", result="ok", manifest=m, sha=verified.sha256, file_name=path.name,
                     add=False)
        if not insert_once(session, claim):
            # On the regional server another analyst imported this very package while we verified it:
            # the unique index made us wait for them; now their import is visible here.
            try:
                status = _replay_status(_Lookups(session, own), m, verified.sha256, path.name)
            except SecurityError as exc:
                return _refused(session, path, exc, verified.report)
    if status == "duplicate":
        message = f"Пакет №{m.seq} от «{m.sender_org}» ({m.package_id}) уже был импортирован; ничего не изменено."
        verified.report.status = "duplicate"
        _log(session, direction="import", result="duplicate", manifest=m, sha=verified.sha256, file_name=path.name,
             message=message)
        return ImportReport(path.name, "duplicate", message, verified.report)
    backup_path = _backup(session) if backup else None
    stats = ApplyStats()
    parts = [v for v in verified.nested if v.report.status == "new"] + [verified]
    for part in parts:
        if part.manifest.dataset_kind == "trust-list":
            _apply_trust_list(session, part, stats)
        elif part.payload is not None:
            codes = part.payload.org_codes()
            stats.merge(apply_payload(session, part.payload, org_ids=_org_ids(session, codes), label=path.name,
                                      package_sha=part.sha256, package_id=part.manifest.package_id,
                                      progress=progress, accept_incoming=accept_incoming))
        _keep(part)
        if part is not verified:
            _log(session, direction="import", result="ok", manifest=part.manifest, sha=part.sha256,
                 file_name=path.name, message="вложен в пакет " + m.package_id)
    if verified.corrections is not None:  # after the schools' own data, so it is compared with that
        corrections = verified.corrections
        stats.merge(apply_payload(session, corrections, org_ids=_org_ids(session, corrections.org_codes()),
                                  label=path.name, package_sha=verified.sha256, package_id=m.package_id,
                                  progress=progress, corrected_by=m.sender_org, accept_incoming=accept_incoming))
    claim.message = _summary_message(stats)
    audit.record(session, action="import", entity="package", entity_id=m.package_id,
                 after={"sender": m.sender_org, "seq": m.seq, "nested": len(parts) - 1,
                        "conflicts": len(stats.conflicts), "accept_incoming": accept_incoming,
                        "overridden": len(stats.overridden)})
    progress.step(1.0, "Готово")
    message = f"Пакет №{m.seq} от «{m.sender_org}» импортирован. {_summary_message(stats)}"
    return ImportReport(path.name, "imported", message, verified.report, stats, backup_path)


def _refused(session: Session, path: Path, exc: ErsokoError, report: VerifyReport | None = None) -> ImportReport:
    """Roll back whatever was begun and log only the refusal."""
    report = report or getattr(exc, "report", None) or VerifyReport(file=path.name)
    report.valid, report.status, report.reason = False, "refused", exc.message
    session.rollback()
    _log(session, direction="import", result="refused", report=report, file_name=path.name, message=exc.message)
    return ImportReport(path.name, "refused", exc.message, report)


def _summary_message(stats: ApplyStats) -> str:
    text = (f"Результатов: новых {stats.results_inserted}, заменено {stats.results_replaced}, без изменений "
            f"{stats.results_unchanged}; форм: новых {stats.submissions_created}, обновлено {stats.submissions_updated}; "
            f"дорожных карт создано {stats.roadmaps_created}, сроков обновлено {stats.occurrences_updated}.")
    if stats.conflicts:
        text += f" Конфликтов: {len(stats.conflicts)} (оставлены данные этой базы)."
    if stats.overridden:
        text += f" Конфликтов, решённых в пользу пакета (по выбору пользователя): {len(stats.overridden)}."
    return text


# ---------------------------------------------------------------- export

def _next_seq(key: SigningKey) -> int:
    seq = key.next_seq
    key.next_seq = seq + 1
    return seq


def _recipient(session: Session, own: Organization, recipient: str | None) -> str | None:
    if recipient:
        org = session.scalar(select(Organization).where(Organization.code == recipient))
        if org is None:
            raise InputError(f"Получатель «{recipient}» не найден в реестре организаций.")
        return org.code
    return own.parent.code if own.parent is not None else None


def _encrypt_key(encrypt_to: str | Path | None) -> bytes | None:
    if encrypt_to is None:
        return None
    doc = keys.parse_public_key_file(encrypt_to)
    if doc.x25519 is None:
        raise InputError(f"В файле ключа «{Path(encrypt_to).name}» нет ключа шифрования (x25519).")
    return doc.x25519


@dataclass(frozen=True)
class _Nested:
    """A school package taken unchanged from the received store for a municipal package."""

    entry: NestedEntry
    blob: bytes
    results: int  # the school's signed claim, shown in the PDF copy
    submissions: list[dict]  # the school's forms as signed, to find the municipality's corrections


def _latest_received(session: Session, schools: list[Organization], period: str | None
                     ) -> tuple[list[_Nested], list[str]]:
    """The newest verified package of each school for this period, from the received store."""
    codes = {o.code for o in schools if o.kind == "school"}
    rows = session.scalars(_imported(session).where(PackageLog.sender_org.in_(codes)).order_by(PackageLog.seq.desc()))
    chosen: dict[str, _Nested] = {}
    warnings: list[str] = []
    for row in rows:
        if row.sender_org in chosen:
            continue
        blob_path = received_store() / f"{row.sha256}.zip"
        if not blob_path.is_file():
            warnings.append(f"пакет школы «{row.sender_org}» №{row.seq} не найден в хранилище ({blob_path})")
            continue
        blob = blob_path.read_bytes()
        sha = hashlib.sha256(blob).hexdigest()
        if sha != row.sha256:
            warnings.append(f"пакет школы «{row.sender_org}» №{row.seq} в хранилище повреждён ({blob_path}); не вложен")
            continue
        raw = read_package(blob, blob_path.name)
        m = parse(raw.manifest_bytes)
        if m.dataset_kind != "school-report" or (period is not None and m.period != period):
            continue
        entry = NestedEntry(f"nested/{m.sender_org}-{m.seq}.zip", m.package_id, m.seq, m.sender_org,
                            m.sender_fingerprint, sha)
        results = m.contents.get("results")
        chosen[row.sender_org] = _Nested(entry, blob, results if isinstance(results, int) else 0,
                                         _signed_submissions(raw))
    return [chosen[c] for c in sorted(chosen)], warnings


def _signed_submissions(raw) -> list[dict]:
    """The form submissions inside a received (already verified) school package."""
    if FORMS_PATH not in raw.zip.infos:
        return []
    try:
        forms = json.loads(raw.zip.read(FORMS_PATH))
        return [s for s in forms.get("submissions", []) if isinstance(s, dict)]
    except (ValueError, AttributeError):
        return []


def _municipal_corrections(session: Session, nested: list[_Nested], period) -> Payload | None:
    """What this municipality holds about its nested schools that is not the schools' own signed data.

    Results: every procedure × school group with a row not loaded from a school package here (a results
    file imported by the municipality, or a row keyed by hand). Forms: every submission that differs
    from the one in the school's nested package (values, comment or status — an approval included).
    The nested packages themselves stay byte for byte as the schools signed them."""
    codes = {n.entry.sender_org for n in nested}
    ids = dict(session.execute(select(Organization.id, Organization.code).where(Organization.code.in_(codes))).all())
    if not ids:
        return None
    local_batches = list(session.scalars(select(ImportBatch.id).where(ImportBatch.kind != "package")))
    conditions = [ParticipantResult.batch_id.is_(None)]  # each one answered from the batch_id index
    if local_batches:
        conditions.append(ParticipantResult.batch_id.in_(local_batches))
    pairs: set[tuple[int, int]] = set()
    for condition in conditions:
        pairs |= {(p, sid) for p, sid in session.execute(
            select(ParticipantResult.procedure_id, ParticipantResult.school_id).distinct().where(condition))
            if sid in ids}
    results: list[dict] = []
    if pairs:
        procs = {p.id: (p.kind, p.subject, p.grade, p.year)
                 for p in session.scalars(select(Procedure).where(Procedure.id.in_({p for p, _ in pairs})))}
        wanted = {(procs[p], ids[sid]) for p, sid in pairs}
        results = [g for g in collect_results(session, sorted({sid for _, sid in pairs}), period)
                   if ((g["procedure"]["kind"], g["procedure"]["subject"], g["procedure"]["grade"],
                        g["procedure"]["year"]), g["school"]) in wanted]
    signed = {(s.get("form_id"), s.get("org"), s.get("period")): (s.get("status"), s.get("values"), s.get("comment"))
              for n in nested for s in n.submissions}
    forms = collect_forms(session, list(ids), period)
    changed = [s for s in forms["submissions"]
               if signed.get((s["form_id"], s["org"], s["period"])) != (s["status"], s["values"], s["comment"])]
    used = {(s["form_id"], s["version"]) for s in changed}
    definitions = [d for d in forms["definitions"] if (d["form_id"], d["version"]) in used]
    if not results and not changed:
        return None
    return Payload(results, {"definitions": definitions, "submissions": changed})


def _human_files(results: list[dict], forms: dict, roadmaps: list[dict], summary: list[dict]) -> dict[str, bytes]:
    from ..packages.human import csv_bytes, xlsx_bytes

    header = ["Процедура", "Предмет", "Класс", "Год", "Код ОО"] + [
        "Код участника", "Буква класса", "Вариант", "Баллы за задания", "Первичный балл", "Отметка",
        "Отметка по журналу", "Пол"]

    def result_rows():
        for g in results:
            p = g["procedure"]
            for r in g["rows"]:
                tasks = " ".join("-" if t is None else f"{t:g}" for t in r[3]) if r[3] else None
                yield [p["kind"], p["subject"], p["grade"], p["year"], g["school"], r[0], r[1], r[2], tasks, *r[4:]]

    summary_rows = [[s["org"], s["procedure"], s["subject"], s["grade"], s["year"], s["n"],
                     *(s["marks"][k] for k in ("2", "3", "4", "5"))] for s in summary]
    form_rows = [[s["form_id"], s["org"], s["period"], s["status"], s.get("comment")] for s in forms["submissions"]]
    task_rows = [[rm["org"], rm["title"], t.get("number"), t["title"], o.get("start"), o.get("end"), o["status"],
                  o.get("done_at"), o.get("comment")]
                 for rm in roadmaps for t in rm["tasks"] for o in t["occurrences"]]
    files = {"human/results.csv": csv_bytes(header, result_rows())}
    files["human/report.xlsx"] = xlsx_bytes([
        ("Сводка", ["Код ОО", "Процедура", "Предмет", "Класс", "Год", "Участников", "«2»", "«3»", "«4»", "«5»"],
         summary_rows),
        ("Результаты", header, result_rows()),
        ("Формы", ["Форма", "Код ОО", "Период", "Статус", "Комментарий"], form_rows),
        ("Дорожные карты", ["Код ОО", "Дорожная карта", "№", "Мероприятие", "Начало", "Окончание", "Статус",
                            "Выполнено", "Комментарий"], task_rows),
    ])
    return files


def _finish_export(session: Session, *, own: Organization, key: SigningKey, private, kind: str, period: str | None,
                   recipient: str | None, files: dict[str, bytes], nested: list[_Nested],
                   out: Path, encrypt_to, counts: dict, warnings: list[str],
                   pdf: Callable[[Heading], bytes] | None = None) -> ExportResult:
    """Number, sign and write the package; ``pdf`` builds the printable copy once the number is known."""
    x25519 = _encrypt_key(encrypt_to)
    seq = _next_seq(key)
    package_id = new_package_id()
    created_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    if pdf is not None:
        files[PDF_PATH] = pdf(Heading(kind, own.code, own.name, recipient, period, seq, package_id, key.fingerprint,
                                      created_at))
    entries = {p: file_entry(p, b) for p, b in files.items()}
    for n in nested:  # hashed once already, when taken from the received store
        files[n.entry.path] = n.blob
        entries[n.entry.path] = FileEntry(n.entry.path, len(n.blob), n.entry.sha256)
    previous = session.scalar(select(PackageLog.package_id).where(
        PackageLog.direction == "export", PackageLog.result == "ok", PackageLog.sender_fingerprint == key.fingerprint,
        PackageLog.recipient_org == recipient).order_by(PackageLog.seq.desc()))
    manifest = Manifest(
        package_id=package_id, seq=seq, created_at=created_at,
        sender_org=own.code, sender_name=own.name, sender_kind=own.kind, sender_fingerprint=key.fingerprint,
        recipient=recipient, dataset_kind=kind, period=period,
        files=tuple(entries[p] for p in sorted(entries)), nested=tuple(n.entry for n in nested),
        supersedes=previous, schema_versions={"data": DATA_VERSION}, contents=counts)
    data = write_package(manifest, files, private)
    sha = hashlib.sha256(data).hexdigest()
    out = Path(out)
    atomic_write_bytes(out, crypto.encrypt_for(x25519, data) if x25519 else data)
    _log(session, direction="export", result="ok", manifest=manifest, sha=sha, file_name=out.name,
         message=f"{KIND_RU[kind]}, период {period or 'весь'}")
    audit.record(session, action="export", entity="package", entity_id=manifest.package_id,
                 after={"seq": seq, "recipient": recipient, "kind": kind, "period": period})
    return ExportResult(out, manifest.package_id, seq, own.code, recipient, kind, period, sha, len(files),
                        [n.entry.sender_org for n in nested], counts, x25519 is not None, warnings)


def export_package(session: Session, *, out: str | Path, recipient: str | None = None, period: str | None = None,
                   encrypt_to: str | Path | None = None, passphrase: str | None = None,
                   progress: Progress | None = None) -> ExportResult:
    """Export the own organization's data for a period (a municipality nests its schools' packages)."""
    progress = progress or Progress.none()
    own = _own(session)
    kind = _REPORT_KIND.get(own.kind)
    if kind is None:
        raise WorkflowError("ЦОКО (регион) не отправляет отчётные пакеты; для рассылки ключей используйте "
                            "«ersoko package export-trust».")
    key, private = keys.load_private_key(session, passphrase=passphrase)
    parsed = parse_period(period)
    label = parsed.label if parsed else None
    recipient_code = _recipient(session, own, recipient)
    subtree = descendants(session, own)
    nested, warnings = _latest_received(session, subtree[1:], label) if own.kind == "municipality" else ([], [])
    covered = {n.entry.sender_org for n in nested}
    org_ids = [o.id for o in subtree if o.code not in covered]
    progress.step(0.1, "Сбор результатов")
    results = collect_results(session, org_ids, parsed)
    forms = collect_forms(session, org_ids, parsed)
    roadmaps = collect_roadmaps(session, org_ids, parsed)
    progress.step(0.5, "Подготовка файлов")
    summary = collect_summary(session, [o.id for o in subtree], parsed) if own.kind == "municipality" else []
    files = {RESULTS_PATH: dumps({"columns": RESULT_COLUMNS, "groups": results}), FORMS_PATH: dumps(forms),
             ROADMAPS_PATH: dumps(roadmaps)}
    if own.kind == "municipality":
        files[SUMMARY_PATH] = dumps(summary)
    evidence, missing = evidence_files(forms, roadmaps, session)
    corrections = _municipal_corrections(session, nested, parsed) if nested else None
    if corrections is not None:
        files[CORRECTED_RESULTS_PATH] = dumps({"columns": RESULT_COLUMNS, "groups": corrections.results})
        files[CORRECTED_FORMS_PATH] = dumps(corrections.forms)
        more, lost = evidence_files(corrections.forms, [], session)
        evidence |= more
        missing += [w for w in lost if w not in missing]
    files.update(evidence)
    files.update(_human_files(results, forms, roadmaps, summary))
    claimed = Payload(results, forms, roadmaps, summary, {p.split("/", 1)[1]: b for p, b in evidence.items()})
    counts = {"orgs": sorted(claimed.org_codes())} | claimed.counts()
    if corrections is not None:
        n = corrections.counts()
        counts["corrections"] = {"orgs": sorted(corrections.org_codes()), "results": n["results"],
                                 "submissions": n["submissions"]}
    progress.step(0.8, "Подпись")
    result = _finish_export(session, own=own, key=key, private=private, kind=kind, period=label,
                            recipient=recipient_code, files=files, nested=nested, out=Path(out),
                            encrypt_to=encrypt_to, counts=counts, warnings=warnings + missing,
                            pdf=lambda head: summary_pdf(
                                head, counts=counts, results=results, summary=summary, forms=forms,
                                roadmaps=roadmaps, nested=[(n.entry.sender_org, n.entry.seq, n.entry.package_id,
                                                            n.entry.sha256, n.results) for n in nested],
                                corrections=counts.get("corrections")))
    progress.step(1.0, "Готово")
    return result


def export_trust_list(session: Session, *, out: str | Path, recipient: str | None = None,
                      encrypt_to: str | Path | None = None, passphrase: str | None = None,
                      progress: Progress | None = None) -> ExportResult:
    """A signed list of the keys this organization trusts (and its own), for the level below or above."""
    own = _own(session)
    if own.kind not in ("municipality", "region"):
        raise WorkflowError("Список доверия рассылают муниципалитет и ЦОКО; школа его не отправляет.")
    key, private = keys.load_private_key(session, passphrase=passphrase)
    items = [keys.public_key_document(session, passphrase=passphrase).as_dict() | {"status": "active"}]
    for trusted in session.scalars(select(TrustedKey).order_by(TrustedKey.org_code, TrustedKey.id)):
        org = session.scalar(select(Organization).where(Organization.code == trusted.org_code))
        doc = keys.PublicKeyDocument(trusted.org_code, org.name if org else "", trusted.role, trusted.public_key, None)
        items.append(doc.as_dict() | {"status": trusted.status})
    for item in items:
        item.pop("format"), item.pop("version")
    files = {TRUST_PATH: json.dumps({"keys": items}, ensure_ascii=False, indent=1).encode("utf-8")}
    recipient_code = _recipient(session, own, recipient) if recipient else None
    return _finish_export(session, own=own, key=key, private=private, kind="trust-list", period=None,
                          recipient=recipient_code, files=files, nested=[], out=Path(out), encrypt_to=encrypt_to,
                          counts={"keys": len(items)}, warnings=[])


# ---------------------------------------------------------------- listing

@dataclass(frozen=True)
class PackageLogView:
    created_at: dt.datetime
    direction: str
    result: str
    package_id: str | None
    seq: int | None
    sender_org: str | None
    recipient_org: str | None
    file_name: str | None
    message: str | None

    def as_dict(self) -> dict:
        return self.__dict__ | {"created_at": self.created_at.isoformat()}


def list_packages(session: Session, *, limit: int = 500) -> list[PackageLogView]:
    rows = session.scalars(select(PackageLog).order_by(PackageLog.id.desc()).limit(limit))
    return [PackageLogView(r.created_at, r.direction, r.result, r.package_id, r.seq, r.sender_org, r.recipient_org,
                           r.file_name, r.message) for r in rows]

