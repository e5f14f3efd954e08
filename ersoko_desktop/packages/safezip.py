"""A ZIP reader for files that may have been made by an attacker.

Nothing is ever extracted to disk (no ``extractall``): members are read into memory after the
central directory passed every check — entry count, names (no absolute, ``..``, drive or
backslash paths, no control characters), no symlinks or special files, no names that collide
after case folding or Unicode normalisation, declared sizes and the compression ratio. Reading is
bounded by the declared size (zipfile stops there and checks the CRC), so a header that lies about
the size yields a CRC error, not a memory blow-up.
"""

from __future__ import annotations

import io
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from ..errors import SecurityError


@dataclass(frozen=True)
class ZipLimits:
    max_archive_bytes: int = 512 * 1024 * 1024
    max_entries: int = 2000
    max_entry_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 100.0
    ratio_applies_above: int = 1024 * 1024  # small files may compress well without being bombs


DEFAULT_LIMITS = ZipLimits()
_ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _refuse(label: str, why: str) -> SecurityError:
    return SecurityError(f"Пакет «{label}» отклонён: {why}. Ничего не записано.")


def check_name(name: str, label: str) -> str:
    """A member name must be a plain relative path with forward slashes."""
    shown = name.encode("unicode_escape").decode("ascii")
    if not name or len(name) > 255:
        raise _refuse(label, f"недопустимое имя файла в архиве «{shown[:80]}»")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise _refuse(label, f"имя файла в архиве содержит управляющие символы: «{shown}»")
    if "\\" in name:
        raise _refuse(label, f"имя файла в архиве содержит обратную косую черту (путь Windows): «{name}»")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _refuse(label, f"абсолютный путь в архиве: «{name}»")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise _refuse(label, f"путь с «..», «.» или пустой частью в архиве (zip-slip): «{name}»")
    if any(":" in p for p in parts):
        raise _refuse(label, f"двоеточие в имени файла архива (диск или поток NTFS): «{name}»")
    return name


def _collision_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _is_special(info: zipfile.ZipInfo) -> bool:
    """Symlinks, devices, FIFOs — anything but a regular file, in the Unix mode bits."""
    mode = info.external_attr >> 16
    return bool(mode) and stat.S_IFMT(mode) not in (0, stat.S_IFREG)


@dataclass
class SafeZip:
    """The checked members of one archive; ``read`` gives a member's bytes."""

    label: str
    _zip: zipfile.ZipFile
    infos: dict[str, zipfile.ZipInfo]

    @property
    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos[name]
        try:
            with self._zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise _refuse(self.label, f"файл «{name}» в архиве повреждён ({exc})") from None
        if len(data) != info.file_size:
            raise _refuse(self.label, f"файл «{name}» в архиве повреждён: размер не совпадает с заголовком")
        return data

    def open_stream(self, name: str):
        """A bounded stream over one member (for reading just the start of an XML part)."""
        return self._zip.open(self.infos[name])

    def iter_files(self) -> Iterator[tuple[str, bytes]]:
        for name in self.infos:
            yield name, self.read(name)


def open_zip(data: bytes, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> SafeZip:
    """Check the central directory of ``data``; raise ``SecurityError`` with a Russian reason."""
    if len(data) > limits.max_archive_bytes:
        raise _refuse(label, f"файл больше допустимого ({len(data)} байт при пределе {limits.max_archive_bytes})")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise _refuse(label, f"файл не является целым ZIP-архивом (обрезан или повреждён: {exc})") from None
    if infos and min(i.header_offset for i in infos) != 0:
        # Our archives start at byte 0. Otherwise the end record found is not the file's own: typically a
        # truncated package whose last intact bytes end a stored inner ZIP (an XLSX copy, a nested package).
        raise _refuse(label, "файл не является целым ZIP-архивом (обрезан или повреждён: перед архивом посторонние "
                             "данные — найден архив, вложенный в другой)")
    if len(infos) > limits.max_entries:
        raise _refuse(label, f"слишком много файлов в архиве ({len(infos)} при пределе {limits.max_entries})")
    checked: dict[str, zipfile.ZipInfo] = {}
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = check_name(info.filename, label)
        if info.is_dir():
            raise _refuse(label, f"в архиве есть каталог «{name}»; в пакете допускаются только файлы")
        if _is_special(info):
            raise _refuse(label, f"«{name}» — символическая ссылка или специальный файл, такие записи запрещены")
        if info.flag_bits & 0x1:
            raise _refuse(label, f"файл «{name}» зашифрован средствами ZIP; такие архивы не принимаются")
        if info.compress_type not in _ALLOWED_METHODS:
            raise _refuse(label, f"файл «{name}» сжат неподдерживаемым методом {info.compress_type}")
        key = _collision_key(name)
        if key in seen:
            raise _refuse(label, f"имена «{seen[key]}» и «{name}» совпадают без учёта регистра или нормализации Юникода")
        seen[key] = name
        if info.file_size > limits.max_entry_bytes:
            raise _refuse(label, f"файл «{name}» слишком велик ({info.file_size} байт при пределе {limits.max_entry_bytes})")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise _refuse(label, f"суммарный размер файлов превышает предел {limits.max_total_bytes} байт (zip-бомба?)")
        if info.file_size > limits.ratio_applies_above:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _refuse(label, f"файл «{name}» сжат в {ratio:.0f} раз (предел {limits.max_ratio:.0f}): похоже на zip-бомбу")
        checked[name] = info
    return SafeZip(label, zf, checked)
