"""The federation settings: one file of public facts every pilot holds a copy of.

It names each pilot's NATS node (where the others reach it), the NATS user keys that may log in, the
signing keys events are verified with, and the certificate authorities whose certificates nodes accept.
Nothing in it is secret: each pilot keeps its seeds, its TLS key and its database password on its own
machine. Every pilot's node config is generated from this file (`ess deploy render`), so the three
configs cannot disagree about routes, users or permissions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ess_contracts.signing import TrustFile
from ess_contracts.types import Pilot
from ess_core.security.identities import NatsUsers

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


class Node(BaseModel):
    """One pilot's NATS node, as the other nodes and the pilot's own services reach it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str = Field(min_length=1, description="DNS name or address; the node's certificate must name it")
    client_port: int = Field(default=4222, ge=1, le=65535)
    cluster_port: int = Field(default=6222, ge=1, le=65535)
    monitor_port: int = Field(default=8222, ge=1, le=65535)

    @property
    def route_url(self) -> str:
        return f"nats-route://{self.host}:{self.cluster_port}"

    @property
    def client_url(self) -> str:
        return f"tls://{self.host}:{self.client_port}"


class Federation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: Literal[1] = 1
    cluster: str = Field(default="ess", pattern=r"^[A-Za-z0-9_-]+$")
    stream_replicas: int = Field(default=3, ge=1, le=5)
    nodes: dict[Pilot, Node]
    users: NatsUsers
    trust: TrustFile
    certificate_authorities: tuple[str, ...] = Field(
        min_length=1, description="PEM certificates: a node or client certificate must chain to one"
    )

    @field_validator("certificate_authorities")
    @classmethod
    def _pem(cls, authorities: tuple[str, ...]) -> tuple[str, ...]:
        for index, pem in enumerate(authorities):
            if not pem.lstrip().startswith(PEM_CERTIFICATE):
                raise ValueError(f"certificate_authorities[{index}] is not a PEM certificate")
        return authorities

    @model_validator(mode="after")
    def _consistent(self) -> Federation:
        if self.stream_replicas > len(self.nodes):
            raise ValueError(f"stream_replicas ({self.stream_replicas}) exceeds the {len(self.nodes)} nodes")
        missing = [pilot for pilot in self.nodes if not self.users.history(pilot)]
        if missing:
            raise ValueError(f"users: no NATS user key for {', '.join(missing)}")
        unsigned = [pilot for pilot in self.nodes if pilot not in self.trust.pilots]
        if unsigned:
            raise ValueError(f"trust: no signing key for {', '.join(unsigned)}")
        return self

    def client_urls(self, first: Pilot) -> str:
        """What a pilot's services connect to: its own node first, then the others (failover)."""
        order = [first, *(pilot for pilot in self.nodes if pilot != first)]
        return ",".join(self.nodes[pilot].client_url for pilot in order)

    def ca_bundle(self) -> str:
        return "\n".join(pem.strip() for pem in self.certificate_authorities) + "\n"

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Federation:
        return cls.model_validate_json(path.read_bytes())
