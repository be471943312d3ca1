"""Credentials tokens: generated, hashed, encrypted, and carried in the Authorization header.

Tokens partners present to us (token A we issue, then B or C) are only verified: we keep
their SHA-256. Tokens we present to partners are secrets we must be able to send: kept
AES-GCM encrypted with a key from the settings. Neither is ever logged.

Header (2.2.1, transport chapter): `Authorization: Token <base64(UTF-8 token)>`. Many 2.1.1
and 2.2 peers send the token un-encoded; for robustness both readings of the header are
tried (the token must match one of ours either way, so accepting both weakens nothing).
We always send the encoded form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

_NONCE_BYTES = 12
_KEY_FILE = "ocpi-secret-key"


def new_token() -> str:
    """A fresh credentials token: 43 URL-safe characters (printable, non-whitespace ASCII)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def encode_header(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


def header_candidates(header: str | None) -> list[str]:
    """The tokens an Authorization header may carry: its base64 decoding (2.2.1) and the
    raw value (2.1.1/2.2 peers). Empty when the header is missing or not a Token."""
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value or len(value) > 256:
        return []
    candidates = [value]
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return candidates
    decoded = decoded.rstrip("\n")  # `echo token | base64` adds one; the spec's own example does
    if decoded and decoded.isprintable() and " " not in decoded:
        candidates.insert(0, decoded)
    return candidates


class TokenCipher:
    """AES-256-GCM for the tokens we present to partners (nonce || ciphertext+tag)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the OCPI secret key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, token: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, token.encode(), b"ocpi-peer-token")

    def decrypt(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], b"ocpi-peer-token").decode()


def decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("CHARGEPLANE_OCPI_SECRET_KEY is not url-safe base64") from None
    if len(key) != 32:
        raise ValueError("CHARGEPLANE_OCPI_SECRET_KEY must decode to 32 bytes")
    return key


def load_or_create_key(configured: str, data_dir: Path) -> bytes:
    """The configured key, else one kept in the data directory (created on first use,
    readable by the owner only): what the all-in-one runtime needs."""
    if configured:
        return decode_key(configured)
    path = data_dir / _KEY_FILE
    if path.exists():
        return decode_key(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.urlsafe_b64encode(key).decode())
    log.info("generated the OCPI secret key in %s", path)
    return key
