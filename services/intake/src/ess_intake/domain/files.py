"""One uploaded file: declared type, name and base64 content, checked against each other."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from ess_contracts.intake import AttachmentKind
from ess_intake.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_BASE64_CHARS,
    OfficeMediaType,
    check_content,
    decode_base64,
    sha256_hex,
)
from ess_intake.domain.fields import Line

Base64File = Annotated[
    bytes,
    BeforeValidator(decode_base64),
    PlainSerializer(sha256_hex, return_type=str, when_used="json"),  # dumps name the file, not its bytes
    WithJsonSchema(
        {
            "type": "string",
            "contentEncoding": "base64",
            "maxLength": MAX_BASE64_CHARS,
            "description": f"the file, base64 (at most {MAX_ATTACHMENT_BYTES} bytes decoded)",
        }
    ),
]


def _file_name(name: str) -> str:
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ValueError("a file name has no path")
    return name


class AttachmentUpload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_name: Annotated[Line, Field(max_length=255)]
    kind: AttachmentKind
    media_type: OfficeMediaType
    content: Base64File

    @field_validator("file_name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        return _file_name(name)

    @field_validator("content")
    @classmethod
    def _content_matches_type(cls, content: bytes, info: ValidationInfo) -> bytes:
        return check_content(content, info.data.get("media_type"))

    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.content)
