"""One compose file per pilot: its NATS node, its own PostgreSQL, its services and its console.

Generated from the topology (which pilot runs which service) so the three files keep one shape; they are
committed under `deploy/<pilot>/compose.yaml` and a test fails when they drift from this code. Names
carry the pilot (`region-nats`, `region-postgres`, `region-intake`) so that the three stacks can share
one network in the container tests, and a service reaches its own node by that name first.

What a pilot's folder holds beside the file:
- `config/` (public, from `ess deploy render`): `nats.conf`, `ca.pem`, `trust.json`, `services.env`;
- `secrets/` (private, from `ess deploy secrets`, never committed): the signing and NATS seeds, the node's
  TLS key and certificate, the database password, `site.env` (how staff tokens are verified), and
  `console/` (the console's own: its cookie key, its OIDC client secret), the only folder the console mounts.

The console talks to its pilot's services over HTTP with the signed-in person's token: it gets their
addresses on the stack's network, never a database, NATS or signing credential, and starts once they
answer their health check.
"""

from __future__ import annotations

from typing import Any

import yaml

from ess_contracts.types import PILOTS, Pilot, ServiceName
from ess_ops.topology import TOPOLOGY

SERVICE_HTTP_PORT = 8080
FIRST_HOST_PORT = {"intake": 8101, "funding": 8102, "evaluation": 8103}  # on the pilot's loopback
CONSOLE_HOST_PORT = 8100  # on the pilot's loopback, behind the pilot's TLS reverse proxy
DATABASE_USER = "ess"
CONFIG_DIR = "/etc/ess"
SECRETS_DIR = "/run/ess/secrets"
CONSOLE_SECRETS_DIR = "/run/ess/console"  # secrets/console/ only: none of the services' secrets
CONSOLE_COOKIE_KEY = "cookie.key"
# Sign-in through the pilot's OpenID provider: set where compose reads variables (the shell, or `.env`
# beside compose.yaml); empty, the console offers no sign-in by provider.
CONSOLE_OIDC = (
    "ESS_CONSOLE_OIDC_ISSUER",
    "ESS_CONSOLE_OIDC_CLIENT_ID",
    "ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE",
    "ESS_CONSOLE_PUBLIC_URL",
)


def services_of(pilot: Pilot) -> list[ServiceName]:
    return [service for owner, service in TOPOLOGY if owner == pilot]


def nats_node(pilot: Pilot) -> dict[str, Any]:
    return {
        "image": "${ESS_NATS_IMAGE:-nats:2.15.1}",
        "command": ["-c", "/etc/nats/nats.conf"],
        "volumes": [
            "./config/nats.conf:/etc/nats/nats.conf:ro",
            "./config/ca.pem:/etc/nats/ca.pem:ro",
            "./secrets/tls:/etc/nats/tls:ro",
            "nats-data:/data",
        ],
        # Clients and routes face the other pilots; monitoring stays on this machine.
        "ports": ["4222:4222", "6222:6222", "127.0.0.1:8222:8222"],
        "restart": "unless-stopped",
    }


def database(pilot: Pilot) -> dict[str, Any]:
    return {
        "image": "${ESS_POSTGRES_IMAGE:-postgres:15}",
        "environment": {
            "POSTGRES_USER": DATABASE_USER,
            "POSTGRES_DB": DATABASE_USER,
            "POSTGRES_PASSWORD_FILE": f"{SECRETS_DIR}/postgres-password",
            "POSTGRES_DATABASES": " ".join(services_of(pilot)),
        },
        "volumes": [
            "./secrets/postgres/password:/run/ess/secrets/postgres-password:ro",
            "../postgres-initdb:/docker-entrypoint-initdb.d:ro",
            "postgres-data:/var/lib/postgresql/data",
        ],
        "restart": "unless-stopped",
    }


def service(pilot: Pilot, name: ServiceName) -> dict[str, Any]:
    return {
        "image": "${ESS_SERVICES_IMAGE:-localhost/ess-services:latest}",
        "command": [name],
        "env_file": ["./config/services.env", "./secrets/site.env"],
        "environment": {
            "ESS_PILOT": pilot,
            "ESS_DATABASE_URL": f"postgresql+asyncpg://{DATABASE_USER}@{pilot}-postgres:5432/{name}",
            "ESS_DATABASE_PASSWORD_FILE": f"{SECRETS_DIR}/postgres-password",
            "ESS_SIGNING_SEED_FILE": f"{SECRETS_DIR}/signing.seed",
            "ESS_NATS_SEED_FILE": f"{SECRETS_DIR}/nats.seed",
            "ESS_ENCRYPTION_KEY_FILE": f"{SECRETS_DIR}/encryption.key",
            "ESS_NATS_CA_FILE": f"{CONFIG_DIR}/ca.pem",
            "ESS_TRUST_FILE": f"{CONFIG_DIR}/trust.json",
            "ESS_HTTP_HOST": "0.0.0.0",
            "ESS_HTTP_PORT": str(SERVICE_HTTP_PORT),
        },
        "volumes": [f"./config:{CONFIG_DIR}:ro", f"./secrets:{SECRETS_DIR}:ro"],
        "ports": [f"127.0.0.1:{FIRST_HOST_PORT[name]}:{SERVICE_HTTP_PORT}"],
        "depends_on": [f"{pilot}-nats", f"{pilot}-postgres"],
        "healthcheck": health_check(),
        # A service that starts before its database or node exits; the engine starts it again.
        "restart": "unless-stopped",
    }


def health_check() -> dict[str, Any]:
    """The image's Python asks the process's `/healthz` (the images have no curl)."""
    url = f"http://127.0.0.1:{SERVICE_HTTP_PORT}/healthz"
    probe = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=3)"
    return {
        "test": ["CMD", "python3", "-c", probe],
        "interval": "10s",
        "timeout": "5s",
        "retries": 3,
        "start_period": "60s",
    }


def console(pilot: Pilot) -> dict[str, Any]:
    """The pilot's console: its own services' addresses on the stack's network, its cookie key from its
    own secrets folder, the OIDC settings as placeholders; it starts once the services are healthy."""
    urls = {
        f"ESS_CONSOLE_{name.upper()}_URL": f"http://{pilot}-{name}:{SERVICE_HTTP_PORT}"
        for name in services_of(pilot)
    }
    return {
        "image": "${ESS_SERVICES_IMAGE:-localhost/ess-services:latest}",
        "command": ["console"],
        "environment": {
            "ESS_PILOT": pilot,
            **urls,
            "ESS_CONSOLE_COOKIE_KEY_FILE": f"{CONSOLE_SECRETS_DIR}/{CONSOLE_COOKIE_KEY}",
            **{name: f"${{{name}:-}}" for name in CONSOLE_OIDC},
            "ESS_HTTP_HOST": "0.0.0.0",
            "ESS_HTTP_PORT": str(SERVICE_HTTP_PORT),
        },
        "volumes": [f"./secrets/console:{CONSOLE_SECRETS_DIR}:ro"],
        "ports": [f"127.0.0.1:{CONSOLE_HOST_PORT}:{SERVICE_HTTP_PORT}"],
        "depends_on": {f"{pilot}-{name}": {"condition": "service_healthy"} for name in services_of(pilot)},
        "healthcheck": health_check(),
        "restart": "unless-stopped",
    }


def compose(pilot: Pilot) -> dict[str, Any]:
    services: dict[str, Any] = {f"{pilot}-nats": nats_node(pilot), f"{pilot}-postgres": database(pilot)}
    services |= {f"{pilot}-{name}": service(pilot, name) for name in services_of(pilot)}
    services[f"{pilot}-console"] = console(pilot)
    return {
        "name": f"ess-{pilot}",
        "services": services,
        "volumes": {"nats-data": {}, "postgres-data": {}},
    }


def render(pilot: Pilot) -> str:
    header = (
        f"# {pilot}'s part of the federation: its NATS node, its PostgreSQL, its services, its console.\n"
        "# Generated by `ess deploy compose` from the topology; see deploy/README.md before editing.\n"
    )
    body: str = yaml.safe_dump(compose(pilot), sort_keys=False, width=110)
    return header + body


def render_all() -> dict[Pilot, str]:
    return {pilot: render(pilot) for pilot in PILOTS}
