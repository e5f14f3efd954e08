"""The printed key card: how a municipality or ЦОКО checks, out of band, that a public key
file really comes from this organization (GUIDE §6)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ..errors import InputError
from ..reports import model
from ..reports.numbers import fmt_date
from ..settings import own_organization
from .keys import key_card_data

QR_PREFIX = "ersoko-key:1"


def qr_payload(org_code: str, public_key_b64: str) -> str:
    """What the QR code holds: format tag, organization code and the raw Ed25519 key (base64)."""
    return f"{QR_PREFIX};org={org_code};ed25519={public_key_b64}"


def build_keycard_report(session: Session, *, org_code: str | None = None) -> model.Report:
    own = own_organization(session)
    if org_code and (own is None or own.code != org_code):
        raise InputError(f"Карточку ключа можно напечатать только для своей организации"
                         f"{f' («{own.code}»)' if own else ''}: ключ «{org_code}» хранится не в этой базе.")
    card = key_card_data(session)
    groups = card.fingerprint.split()
    fingerprint_lines = " ".join(groups[:8]) + "\n" + " ".join(groups[8:])
    rows = [
        ("Организация", card.org_name),
        ("Код организации", card.org_code),
        ("Алгоритм подписи", "Ed25519"),
        ("Отпечаток ключа (SHA-256)", fingerprint_lines),
        ("Ключ создан", fmt_date(card.created_at.date() if isinstance(card.created_at, dt.datetime) else card.created_at)),
        ("Открытый ключ (base64)", card.public_key_b64),
    ]
    instructions = ("Получатель пакетов сверяет отпечаток открытого ключа, полученного в файле, с отпечатком "
                    "на этой карточке (по телефону или при встрече) и только после этого добавляет ключ "
                    "в доверенные: ersoko keys trust ФАЙЛ. QR-код содержит код организации и открытый ключ.")
    blocks: list[model.Block] = [
        model.KeyValues(rows, sheet="Карточка ключа"),
        model.QRCode(qr_payload(card.org_code, card.public_key_b64), caption="QR-код открытого ключа"),
        model.Text(instructions, "note"),
        model.Signatures(["Руководитель организации"]),
    ]
    return model.Report(kind="keycard", title="Карточка открытого ключа подписи", organization=card.org_name,
                        org_code=card.org_code, period=f"по состоянию на {fmt_date(dt.date.today())}",
                        sections=[model.Section("", blocks)],
                        title_page=False, toc=False)
