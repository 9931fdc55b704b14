"""Password hashing with scrypt (hashlib, OpenSSL) and a per-user random salt.

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<key b64>``. The parameters travel with each hash
so they can be raised later without invalidating existing accounts.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N = 2 ** 15  # CPU/memory cost: 32 MiB per hash with r=8
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 10
_SCHEME = "scrypt"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem must exceed 128*n*r*p or OpenSSL refuses the parameters.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r * p, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join([_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(key_b64)
        key = _derive(password, base64.b64decode(salt_b64), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(key, expected)


# Verifying against this when the user does not exist keeps sign-in timing the same
# for known and unknown names.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
