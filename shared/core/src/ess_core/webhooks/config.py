"""The webhooks a pilot configured for one service, from a JSON file: checked at start, with the field
and the rule named when something is wrong."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

MIN_SECRET_BYTES = 32


class Webhook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    url: HttpUrl
    events: Annotated[tuple[str, ...], Field(min_length=1)]
    secret_file: Path
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 10
    first_retry_s: Annotated[float, Field(gt=0, le=3600)] = 10.0
    last_retry_s: Annotated[float, Field(gt=0, le=86400)] = 3600.0

    def secret(self) -> bytes:
        return self.secret_file.read_bytes().strip()


def load_webhooks(path: Path, known_types: Collection[str]) -> tuple[Webhook, ...]:
    """The file's webhooks; a mistake stops the service at start, naming it."""
    name = f"webhooks file {path}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        hooks = tuple(Webhook.model_validate(item) for item in raw)
    except (OSError, json.JSONDecodeError, TypeError) as exc:
        raise SystemExit(f"{name}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SystemExit(f"{name}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    for hook in hooks:
        unknown = sorted(set(hook.events) - set(known_types))
        if unknown:
            raise SystemExit(f"{name}: {hook.name}.events: unknown event type {unknown[0]!r}")
        if not hook.secret_file.exists() or len(hook.secret()) < MIN_SECRET_BYTES:
            raise SystemExit(f"{name}: {hook.name}.secret_file: at least {MIN_SECRET_BYTES} bytes are needed")
    if len({h.name for h in hooks}) != len(hooks):
        raise SystemExit(f"{name}: webhook names must be distinct")
    return hooks
