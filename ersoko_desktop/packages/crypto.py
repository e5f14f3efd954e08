"""Ed25519 signatures with a context prefix and X25519 + ChaCha20-Poly1305 encryption.

The context prefix keeps a package signature from ever being valid for anything else the same
key might sign later (a trust list file, a key card); the encryption key is derived from the
Ed25519 seed so an organization keeps one private key file.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import SecurityError

MANIFEST_CONTEXT = b"ERSOKO-PACKAGE-MANIFEST-v1\x00"
ENVELOPE_MAGIC = b"ERSOKO-ENC\x01"
_X25519_INFO = b"ersoko x25519 from ed25519 seed v1"
_ENVELOPE_INFO = b"ersoko package envelope v1"
_RAW = serialization.Encoding.Raw


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def sign_manifest(private_key: Ed25519PrivateKey, manifest_bytes: bytes) -> bytes:
    return private_key.sign(MANIFEST_CONTEXT + manifest_bytes)


def manifest_signature_ok(raw_public_key: bytes, manifest_bytes: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, MANIFEST_CONTEXT + manifest_bytes)
    except (InvalidSignature, ValueError):
        return False
    return True


def x25519_private_from(private_key: Ed25519PrivateKey) -> X25519PrivateKey:
    seed = raw_private(private_key)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_X25519_INFO).derive(seed)
    return X25519PrivateKey.from_private_bytes(derived)


def x25519_public_from(private_key: Ed25519PrivateKey) -> bytes:
    return raw_public(x25519_private_from(private_key).public_key())


def _envelope_key(shared: bytes, header: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=header, info=_ENVELOPE_INFO).derive(shared)


def recipient_tag(x25519_public: bytes) -> bytes:
    """Eight bytes naming the recipient key, so a wrong recipient gets a clear message."""
    return hashlib.sha256(x25519_public).digest()[:8]


def is_encrypted(data: bytes) -> bool:
    return data.startswith(ENVELOPE_MAGIC)


def encrypt_for(recipient_x25519_public: bytes, plaintext: bytes) -> bytes:
    """magic ‖ recipient tag ‖ ephemeral public ‖ nonce ‖ ChaCha20-Poly1305(plaintext), header as AAD."""
    ephemeral = X25519PrivateKey.generate()
    eph_pub = raw_public(ephemeral.public_key())
    nonce = os.urandom(12)
    header = ENVELOPE_MAGIC + recipient_tag(recipient_x25519_public) + eph_pub + nonce
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_x25519_public))
    return header + ChaCha20Poly1305(_envelope_key(shared, header)).encrypt(nonce, plaintext, header)


def decrypt_with(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    head_len = len(ENVELOPE_MAGIC) + 8 + 32 + 12
    if len(data) < head_len + 16:
        raise SecurityError("Зашифрованный пакет обрезан: файл короче заголовка.")
    header = data[:head_len]
    tag = header[len(ENVELOPE_MAGIC):len(ENVELOPE_MAGIC) + 8]
    eph_pub = header[len(ENVELOPE_MAGIC) + 8:len(ENVELOPE_MAGIC) + 40]
    nonce = header[-12:]
    own = x25519_private_from(private_key)
    if tag != recipient_tag(raw_public(own.public_key())):
        raise SecurityError("Пакет зашифрован для другого получателя: ключ этой организации его не откроет.")
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        return ChaCha20Poly1305(_envelope_key(shared, header)).decrypt(nonce, data[head_len:], header)
    except (InvalidTag, ValueError):
        raise SecurityError("Зашифрованный пакет повреждён или подменён: проверка целостности не пройдена.") from None
