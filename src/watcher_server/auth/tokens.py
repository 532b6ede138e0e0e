"""API tokens: `wat_` and 256 random bits, known to the server only by their SHA-256.

A fast hash is safe here because the secret is random, not a password: no guess list helps.
The database is searched by the token's digest (a unique index): timing can tell a caller at
most how much of some stored digest the digest of its guess shares, and a guess cannot be
steered towards a digest, so nothing leaks about any token. Each process then remembers the
tokens it checked for a second (auth/verifier.py), in a dict whose string hashing is seeded at
random per process, which a guess cannot steer either.
"""

import hashlib
import re
import secrets

PREFIX = "wat_"
# `wat_` then URL-safe base64 or hex: what `generate` makes (43 characters) or
# `openssl rand -hex 32` gives (64), for a bootstrap key made outside Watcher.
_SHAPE = re.compile(r"wat_[A-Za-z0-9_-]{32,128}")


def generate() -> str:
    """A new token: `wat_` (so secret scanners recognise a leaked one) and 32 random bytes."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored and compared: the token's SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether `text` has a token's shape (anything else is refused without a lookup)."""
    return _SHAPE.fullmatch(text) is not None
