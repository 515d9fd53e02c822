"""`ESS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as a receiver checks it: the
timestamp inside the signed bytes, and a tolerance, stop a captured delivery being replayed later."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "ESS-Signature"
TOLERANCE_S = 300


def sign(secret: bytes, body: bytes, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(
    secret: bytes, body: bytes, header: str, now: float | None = None, tolerance: float = TOLERANCE_S
) -> bool:
    """What a partner's receiver does (and the tests): the MAC matches, the timestamp is recent."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    expected = sign(secret, body, int(parts["t"])).split("v1=", 1)[1]
    fresh = abs((time.time() if now is None else now) - int(parts["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])
