"""`ess deploy`: a pilot's deployment folder, from the federation settings (see deploy/README.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ess_contracts.types import Pilot
from ess_ops.cli.console import fail, note

if TYPE_CHECKING:
    from ess_ops.deploy.files import PilotFolder

app = typer.Typer(no_args_is_help=True, help="Per-pilot deployment: node configs, secrets, compose files.")

SettingsOpt = Annotated[Path, typer.Option("--settings", help="The federation settings (public keys).")]
PilotOpt = Annotated[str, typer.Option("--pilot", help="region, state or bdt.")]


def _pilot(name: str) -> Pilot:
    from ess_ops.keys import KeysError, check_pilot

    try:
        return check_pilot(name)
    except KeysError as exc:
        fail(str(exc))


@app.command("render")
def render_command(settings: SettingsOpt, pilot: PilotOpt, out: Annotated[Path, typer.Option()]) -> None:
    """Write OUT/config: the pilot's nats.conf, the CA bundle, the trust file and services.env."""
    from pydantic import ValidationError

    from ess_ops.deploy.files import PilotFolder, render_config
    from ess_ops.deploy.settings import Federation

    try:
        federation = Federation.load(settings)
    except (OSError, ValidationError) as exc:
        fail(f"{settings}: {exc}")
    chosen = _pilot(pilot)
    if chosen not in federation.nodes:
        fail(f"{settings} has no node for {chosen}")
    render_config(federation, chosen, PilotFolder(out))
    note(f"{out / 'config'}: nats.conf, ca.pem, trust.json, services.env for {chosen}")


@app.command("secrets")
def secrets_command(out: Annotated[Path, typer.Option()]) -> None:
    """Write OUT/secrets (kept when present): signing and NATS seeds, database password, site.env.
    Prints the public keys to add to the federation settings."""
    from ess_ops.deploy.files import PilotFolder, hand_to_images, make_secrets

    folder = PilotFolder(out)
    signing, nats_key, encryption = make_secrets(folder)
    _say_who_reads(folder, hand_to_images(folder))
    note(f"signing key (trust): {signing}")
    note(f"NATS user key (users): {nats_key}")
    note(f"encryption key (trust, encryption): {encryption}  (back up {folder.encryption_key})")
    note(f"TLS: put the node's certificate and key in {out / 'secrets' / 'tls'} (node.pem, node-key.pem)")


def _say_who_reads(folder: PilotFolder, handed: bool) -> None:
    from ess_ops.deploy.files import POSTGRES_UID, SERVICES_UID

    if handed:
        note(
            f"secrets given to the image users (services {SERVICES_UID}, postgres {POSTGRES_UID}), still 0600"
        )
        return
    services = " ".join(
        map(
            str,
            (
                folder.signing_seed,
                folder.nats_seed,
                folder.encryption_key,
                folder.database_password,
                folder.console_cookie_key,
            ),
        )
    )
    note("not root: as root, give the secrets to the image users, or the containers cannot read them:")
    note(f"  chown {SERVICES_UID}:{SERVICES_UID} {services}")
    note(f"  chown {POSTGRES_UID}:{POSTGRES_UID} {folder.database_server_password}")
    parents = f"{folder.database_server_password.parent} {folder.console_cookie_key.parent}"
    note(f"  chmod 711 {folder.secrets} {parents}")


@app.command("dev")
def dev_command(
    out: Annotated[Path, typer.Option(help="A new folder for all three pilots (never commit it).")],
) -> None:
    """A whole demonstration federation on one machine: keys, a private authority, certificates,
    settings and every pilot's folder, nodes named `<pilot>-nats` as in the compose files."""
    from ess_contracts.types import PILOTS
    from ess_ops.deploy.files import dev_federation, render_config
    from ess_ops.deploy.settings import Node

    made = dev_federation(out, {pilot: Node(host=f"{pilot}-nats") for pilot in PILOTS})
    for pilot in made.federation.nodes:
        render_config(made.federation, pilot, made.folder(pilot))
        _say_who_reads(made.folder(pilot), handed=os.geteuid() == 0)
    note(f"{made.settings_file}: the federation settings; one folder per pilot under {out}")


@app.command("compose")
def compose_command(
    out: Annotated[Path, typer.Option(help="Where the pilots' folders are.")] = Path("deploy"),
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a file differs; write nothing.")] = False,
) -> None:
    """Write (or check) every pilot's compose.yaml from the topology."""
    from ess_ops.deploy.compose import render_all

    drift = []
    for pilot, text in render_all().items():
        path = out / pilot / "compose.yaml"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drift.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if drift:
        fail(f"out of date (run `ess deploy compose`): {', '.join(drift)}")
    note("compose files are up to date" if check else f"compose files written under {out}")


@app.command("images")
def images_command(repo: Annotated[Path, typer.Option(help="The repository root.")] = Path(".")) -> None:
    """Build the NATS, PostgreSQL and services images without a registry (cached by content hash)."""
    from ess_ops.deploy.images import build_images

    images = build_images(repo.resolve())
    note(str(images))
