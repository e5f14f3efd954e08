"""Human-readable XLSX copies inside a package are ZIPs of XML: check them before anyone opens them.

Each XML part is read through defusedxml with DTDs forbidden, so an entity-expansion bomb
("billion laughs") or an external entity is refused. A DTD can only stand before the root
element, so parsing stops at the first element — the rest of a large sheet is never read.
"""

from __future__ import annotations

import zipfile
import zlib
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..errors import SecurityError
from .safezip import ZipLimits, open_zip

class _RootReached(Exception):
    pass


class _StopAtRoot:
    """A parser target that ends the parse at the first element."""

    def start(self, tag, attrib):
        raise _RootReached

    def end(self, tag):
        pass

    def data(self, data):
        pass

    def close(self):
        return None


def _parse_prolog(safe, name: str) -> None:
    parser = DET.XMLParser(target=_StopAtRoot(), forbid_dtd=True)
    with safe.open_stream(name) as stream:
        try:
            while chunk := stream.read(4096):
                parser.feed(chunk)
            parser.close()
        except _RootReached:
            return
    raise ParseError("нет корневого элемента")


XLSX_LIMITS = ZipLimits(max_entries=500, max_entry_bytes=128 * 1024 * 1024, max_total_bytes=512 * 1024 * 1024)


def check_xlsx(data: bytes, label: str) -> None:
    safe = open_zip(data, label, XLSX_LIMITS)
    for name in safe.names:
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            _parse_prolog(safe, name)
        except DefusedXmlException:
            raise SecurityError(f"Файл «{label}» отклонён: часть «{name}» содержит объявление DTD/сущностей "
                                "(возможна атака раскрытием сущностей XML).") from None
        except (ParseError, OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
            raise SecurityError(f"Файл «{label}» отклонён: часть «{name}» не является корректным XML ({exc}).") from None
