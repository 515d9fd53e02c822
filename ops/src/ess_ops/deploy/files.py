"""A pilot's deployment folder: `config/` rendered from the federation settings (public), `secrets/`
generated on the pilot's own machine (private). `dev_federation` makes all three pilots' folders and
the settings on one machine, for tests and demonstrations: real keys and certificates, generated at run
time and never committed.
"""

from __future__ import annotations

import os
import secrets as random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ess_contracts.signing import TrustFile
from ess_contracts.types import Pilot
from ess_core.security.identities import OBSERVER, OPERATOR, NatsUsers
from ess_ops import keys
from ess_ops.deploy import compose, natsconf, tls
from ess_ops.deploy.settings import Federation, Node
from ess_ops.topology import STAFF_ROLES

SITE_AUTH_KEY = "auth-public.pem"
SERVICES_UID = 10001  # the services image's user (deploy/images/services/Containerfile)
POSTGRES_UID = 999  # the official postgres image's user, and ours (deploy/images/base/setup.sh)
OPERATOR_SEED = Path("operator") / "nats.seed"  # in a development federation's folder
OBSERVER_SEED = Path("observer") / "nats.seed"  # a monitoring host's read-only login


@dataclass(frozen=True)
class PilotFolder:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def signing_seed(self) -> Path:
        return self.secrets / "signing.seed"

    @property
    def nats_seed(self) -> Path:
        return self.secrets / "nats.seed"

    @property
    def encryption_key(self) -> Path:
        """The pilot's X25519 private key (docs/privacy/keys.md): back it up with the signing seed."""
        return self.secrets / "encryption.key"

    @property
    def database_password(self) -> Path:
        """What the services log in with."""
        return self.secrets / "postgres-password"

    @property
    def database_server_password(self) -> Path:
        """The same password, the database server's own copy (another image user reads it)."""
        return self.secrets / "postgres" / "password"

    @property
    def tls(self) -> Path:
        return self.secrets / "tls"

    @property
    def console_cookie_key(self) -> Path:
        """The console's session cookie key: in `secrets/console/`, the only folder the console mounts."""
        return self.secrets / "console" / compose.CONSOLE_COOKIE_KEY


def render_config(
    federation: Federation, pilot: Pilot, folder: PilotFolder, paths: natsconf.NodePaths | None = None
) -> None:
    """Everything public a pilot's containers read, from the settings alone."""
    folder.config.mkdir(parents=True, exist_ok=True)
    (folder.config / "nats.conf").write_text(natsconf.render(federation, pilot, paths), encoding="utf-8")
    (folder.config / "ca.pem").write_text(federation.ca_bundle(), encoding="utf-8")
    federation.trust.save(folder.config / "trust.json")
    services_env = f"ESS_NATS_URL={federation.client_urls(pilot)}\n"
    (folder.config / "services.env").write_text(services_env, encoding="utf-8")


def make_secrets(folder: PilotFolder, auth_public_key: Path | None = None) -> tuple[str, str, str]:
    """The pilot's seeds, encryption key, database password and console cookie key (kept when present);
    returns the (signing, NATS, encryption) public keys.

    `auth_public_key`: a local token issuer's key for staff tokens (demonstrations); a real pilot writes
    its OIDC settings (`ESS_OIDC_ISSUER`, `ESS_OIDC_AUDIENCE`) into `secrets/site.env` instead.
    """
    signer = keys.ensure_seed(folder.signing_seed)
    nats_key = keys.ensure_nats_seed(folder.nats_seed)
    encryption_key = keys.ensure_encryption_key(folder.encryption_key)
    password = folder.database_password
    if not password.exists():
        keys.write_secret(password, random.token_urlsafe(24) + "\n")
    keys.write_secret(folder.database_server_password, password.read_text(encoding="utf-8"))
    if not folder.console_cookie_key.exists():  # kept: a new key would sign everyone out
        keys.write_secret(folder.console_cookie_key, random.token_urlsafe(32) + "\n")
    site = folder.secrets / "site.env"
    if auth_public_key is not None:
        keys.write_secret(folder.secrets / SITE_AUTH_KEY, auth_public_key.read_text(encoding="utf-8"))
        keys.write_secret(site, f"ESS_AUTH_PUBLIC_KEY_FILE={compose.SECRETS_DIR}/{SITE_AUTH_KEY}\n")
    elif not site.exists():
        keys.write_secret(site, "# ESS_OIDC_ISSUER=https://...\n# ESS_OIDC_AUDIENCE=ess\n")
    return signer.public_key, nats_key, encryption_key


def hand_to_images(folder: PilotFolder) -> bool:
    """Give each secret to the image user that reads it, still 0600: the services' files to the services
    user, the database server's copy of the password to postgres; the node's TLS key stays root's, as
    nats-server runs as root in its image. Only root can; returns whether it did."""
    if os.geteuid() != 0:
        return False
    folder.secrets.chmod(0o711)  # the image users open their files by name; nobody else lists them
    services = [
        folder.signing_seed,
        folder.nats_seed,
        folder.encryption_key,
        folder.database_password,
        folder.secrets / SITE_AUTH_KEY,
    ]
    for path in services:
        if path.exists():
            os.chown(path, SERVICES_UID, SERVICES_UID)
    folder.database_server_password.parent.chmod(0o711)
    os.chown(folder.database_server_password, POSTGRES_UID, POSTGRES_UID)
    folder.console_cookie_key.parent.chmod(0o711)
    os.chown(folder.console_cookie_key, SERVICES_UID, SERVICES_UID)  # the console runs from the same image
    return True


def issue_node_certificate(authority: tls.KeyPair, pilot: Pilot, node: Node, folder: PilotFolder) -> None:
    """The node's certificate names its federation host and its name on the pilot's own network."""
    hosts = list(dict.fromkeys([node.host, f"{pilot}-nats", "localhost", "127.0.0.1"]))
    pair = tls.issue(authority, f"ess-{pilot}", hosts)
    keys.write_secret(folder.tls / "node.pem", pair.certificate_pem)
    keys.write_secret(folder.tls / "node-key.pem", pair.key_pem)


@dataclass(frozen=True)
class DevFederation:
    root: Path
    federation: Federation
    authority: tls.KeyPair

    def folder(self, pilot: Pilot) -> PilotFolder:
        return PilotFolder(self.root / pilot)

    @property
    def settings_file(self) -> Path:
        return self.root / "federation.json"

    @property
    def operator_seed(self) -> Path:
        return self.root / OPERATOR_SEED

    @property
    def ca_file(self) -> Path:
        return self.root / "ca.pem"

    @property
    def auth(self) -> Path:
        return self.root / "auth"

    @property
    def tokens(self) -> Path:
        return self.root / "tokens"


def dev_federation(root: Path, nodes: dict[Pilot, Node], *, on: date | None = None) -> DevFederation:
    """Every pilot's secrets, one private authority, the settings file and every pilot's config."""
    authority = tls.new_authority("ESS federation (development)")
    issuer, auth_key = keys.ensure_issuer(root / "auth")
    keys.mint_tokens(issuer, {pilot: STAFF_ROLES[pilot] for pilot in nodes}, root / "tokens")
    users = NatsUsers().with_key(OPERATOR, keys.ensure_nats_seed(root / OPERATOR_SEED), on)
    users = users.with_key(OBSERVER, keys.ensure_nats_seed(root / OBSERVER_SEED), on)
    trust = TrustFile(pilots={})
    for pilot, node in nodes.items():
        folder = PilotFolder(root / pilot)
        signing_key, nats_key, encryption_key = make_secrets(folder, auth_key)
        hand_to_images(folder)
        issue_node_certificate(authority, pilot, node, folder)
        users = users.with_key(pilot, nats_key, on)
        trust = trust.add_key(pilot, signing_key, on or date.today())
        trust = trust.add_encryption_key(pilot, encryption_key, on or date.today())
    federation = Federation(
        nodes=nodes,
        users=users,
        trust=trust,
        certificate_authorities=(authority.certificate_pem,),
        stream_replicas=min(3, len(nodes)),
    )
    made = DevFederation(root, federation, authority)
    federation.save(made.settings_file)
    made.ca_file.write_text(federation.ca_bundle(), encoding="utf-8")
    return made
