"""Key fingerprints people can read aloud and compare on a printed key card."""

from __future__ import annotations

import hashlib


def fingerprint(raw_public_key: bytes) -> str:
    """SHA-256 of the raw public key, upper-case hex in groups of four: ``3F2A 91C0 …`` (16 groups)."""
    digest = hashlib.sha256(raw_public_key).hexdigest().upper()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def short_fingerprint(fp: str) -> str:
    """The first four groups, enough to tell keys apart on screen."""
    return " ".join(fp.split()[:4])
