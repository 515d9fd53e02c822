"""How a program connects as one identity: its user seed (nkey) and its own inbox prefix."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from ess_core.security.identities import inbox_prefix


def connect_options(identity: str, seed_file: Path | None, ca_file: Path | None = None) -> dict[str, Any]:
    """Keyword arguments for `nats.connect` (FastStream's `NatsBroker` takes `tls` as its `security`).
    Without a seed (an unauthenticated local broker) no login; with a CA file, TLS that verifies the
    server's certificate against it (a federation's nodes)."""
    options: dict[str, Any] = {}
    if seed_file is not None:
        options |= {"nkeys_seed": str(seed_file), "inbox_prefix": inbox_prefix(identity)}
    if ca_file is not None:
        options["tls"] = ssl.create_default_context(cafile=str(ca_file))
    return options
