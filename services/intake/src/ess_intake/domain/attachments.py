"""Attachments people may send: PDF and office documents, checked by their first bytes so that a file
declared as a PDF is one. Limits keep one submission's body within what a service holds in memory."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Literal

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_TOTAL_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_BASE64_CHARS = 4 * ((MAX_ATTACHMENT_BYTES + 2) // 3)

_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"  # OOXML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) are zip containers
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word, Excel, PowerPoint

OfficeMediaType = Literal[
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
]

_SIGNATURES: dict[str, bytes] = {
    "application/pdf": _PDF,
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.ms-powerpoint": _OLE,
}


def signature_for(media_type: str) -> bytes:
    return _SIGNATURES.get(media_type, _ZIP)


def decode_base64(value: object) -> bytes:
    """Standard base64 with padding; anything else (URL-safe alphabet, spaces, bad padding) is refused
    rather than guessed at."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("file content is a base64 string")
    if len(value) > MAX_BASE64_CHARS:
        raise ValueError(f"a file is at most {MAX_ATTACHMENT_BYTES} bytes")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError("file content is not valid base64") from error


def check_content(content: bytes, media_type: str | None) -> bytes:
    if not content:
        raise ValueError("a file is not empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValueError(f"a file is at most {MAX_ATTACHMENT_BYTES} bytes")
    if media_type is not None and not content.startswith(signature_for(media_type)):
        raise ValueError(f"the content is not a {media_type} document (its first bytes say otherwise)")
    return content


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
