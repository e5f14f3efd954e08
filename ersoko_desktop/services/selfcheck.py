"""The program checks its own parts: ``ersoko-desktop --self-test`` (and the frozen bundle's smoke test).

Each check runs one real feature end to end on a throwaway database, so a library or data file
left out of the PyInstaller bundle shows up as a failed check that names the feature — not as a
crash on a school's PC the first time somebody prints a report. The GUI adds its own checks
(Qt pages, charts, ICU) in ``ui/selftest.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


def run_check(name: str, fn: Callable[[], str]) -> Check:
    """One check; any exception is the check's failure, with its type and message."""
    try:
        return Check(name, True, fn())
    except Exception as exc:  # noqa: BLE001 - a self-test reports every failure instead of stopping
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def run_checks(session: Session, *, workdir: Path) -> list[Check]:
    """Fill the (empty, throwaway) database with the demo region and use every heavy library once."""
    return [
        run_check("демонстрационные данные", lambda: _demo(session)),
        run_check("показатели и признаки необъективности (pandas, numpy)", lambda: _indicators(session)),
        run_check("отчёт PDF со шрифтом DejaVu (reportlab)", lambda: _pdf(session, workdir)),
        run_check("отчёт Excel и чтение XLSX (openpyxl, calamine)", lambda: _xlsx(session, workdir)),
        run_check("дорожная карта из Word (python-docx, lxml)", lambda: _docx(workdir)),
        run_check("подпись и шифрование пакетов (cryptography)", _crypto),
    ]


def _demo(session: Session) -> str:
    from .demo import fill_demo

    summary = fill_demo(session)
    session.commit()
    return f"организаций {summary.organizations}, результатов {summary.results}"


def _indicators(session: Session) -> str:
    from .indicators import compute_indicators
    from .objectivity import objectivity_flags

    frame = compute_indicators(session, level="school")
    flags = objectivity_flags(session)
    if frame.empty or not flags:
        raise AssertionError(f"пустой результат: строк {len(frame)}, признаков {len(flags)}")
    return f"строк показателей {len(frame)}, признаков {len(flags)}"


def _pdf(session: Session, workdir: Path) -> str:
    from .reports import generate_report

    out = generate_report(session, kind="municipal", fmt="pdf", out=workdir / "проверка.pdf").path
    data = out.read_bytes()
    if not data.startswith(b"%PDF") or b"DejaVuSans" not in data:
        raise AssertionError("файл не PDF или в нём нет шрифта DejaVu Sans (кириллица не отобразится)")
    return f"{len(data) // 1024} КБ"


def _xlsx(session: Session, workdir: Path) -> str:
    from ..tabular import read_table
    from .reports import generate_report

    out = generate_report(session, kind="municipal", fmt="xlsx", out=workdir / "проверка.xlsx").path
    table = read_table(out)
    text = " ".join(str(cell) for sheet in table.sheets for row in sheet.rows[:5] for cell in row if cell)
    if not any("а" <= ch <= "я" for ch in text.lower()):
        raise AssertionError(f"в прочитанной книге нет русского текста: {text[:80]!r}")
    return f"листов {len(table.sheets)}, прочитано строк {sum(len(s.rows) for s in table.sheets)}"


def _docx(workdir: Path) -> str:
    from docx import Document

    from ..roadmap_files import read_blocks

    path = workdir / "карта.docx"
    doc = Document()  # python-docx's default template must be in the bundle
    doc.add_paragraph("Дорожная карта на 2026/27 учебный год")
    table = doc.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("№", "Мероприятие", "Срок")):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("1", "Анализ результатов ВПР", "октябрь")):
        cell.text = text
    doc.save(str(path))
    blocks = read_blocks(path)
    texts = [getattr(b, "text", "") or " ".join(getattr(b, "cells", [])) for b in blocks]
    if not any("Анализ результатов ВПР" in t for t in texts):
        raise AssertionError(f"таблица не прочитана: {texts!r}")
    return f"блоков {len(blocks)}"


def _crypto() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..packages.crypto import (
        decrypt_with,
        encrypt_for,
        manifest_signature_ok,
        raw_public,
        sign_manifest,
        x25519_public_from,
    )

    key = Ed25519PrivateKey.generate()
    manifest = f"проверка {dt.datetime.now().isoformat()}".encode()
    signature = sign_manifest(key, manifest)
    public = raw_public(key.public_key())
    if not manifest_signature_ok(public, manifest, signature) or manifest_signature_ok(public, manifest + b"!", signature):
        raise AssertionError("подпись Ed25519 не проверяется")
    sealed = encrypt_for(x25519_public_from(key), manifest)
    if decrypt_with(key, sealed) != manifest:
        raise AssertionError("расшифрованный пакет не совпадает с исходным")
    return "Ed25519, X25519 + ChaCha20-Poly1305"
