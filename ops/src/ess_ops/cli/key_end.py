"""`ess keys rotate` and `ess keys revoke`: end a pilot's signing key with a statement by its successor.

Under `ess up` the state dir names everything (the pilot's seed, its services' databases, the trust
file); a deployment names them with `--seed`, `--journal SERVICE=URL` and `--file`. Stop the pilot's
services first; start them again after, on the new seed, and send the statement to the partners
(`ess keys trust add --statement`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from ess_contracts.types import SERVICES, ServiceName
from ess_ops.cli.console import fail, note
from ess_ops.cli.targets import StateDirOpt
from ess_ops.topology import TOPOLOGY, StateDir

SeedOpt = Annotated[Path | None, typer.Option("--seed", help="The pilot's seed file (default: ess up's).")]
JournalOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--journal", help="SERVICE=DATABASE_URL, once per service of the pilot (default: ess up's)."
    ),
]
TrustFileOpt = Annotated[Path | None, typer.Option("--file", help="The trust file (default: ess up's).")]
StatementOpt = Annotated[
    Path | None,
    typer.Option("--statement", help="Where to write the statement (default: beside the trust file)."),
]


def _command(reason: Literal["retired", "revoked"], doc: str) -> Callable[..., None]:
    """`ess keys rotate` and `ess keys revoke`: the same steps, the end recorded with its reason."""

    def command(
        pilot: Annotated[str, typer.Option("--pilot", help="region, state or bdt.")],
        state_dir: StateDirOpt = Path(".ess"),
        seed: SeedOpt = None,
        journal: JournalOpt = None,
        file: TrustFileOpt = None,
        statement: StatementOpt = None,
    ) -> None:
        _end(pilot, reason, state_dir, seed, journal, file, statement)

    command.__doc__ = doc
    return command


rotate_command = _command(
    "retired",
    """Retire the pilot's signing key: a new seed takes its place, and a statement signed by the new key
    names what the old one signed; nothing else under the old key is accepted from then on.""",
)
revoke_command = _command(
    "revoked",
    """Revoke the pilot's signing key (a copy may be in other hands): as rotate, recorded as revoked.
    The pilot's journals vouch for what it signed; what a thief signs with the copy never counts.""",
)


def _end(
    pilot_name: str,
    reason: Literal["retired", "revoked"],
    state_dir: Path,
    seed: Path | None,
    journal: list[str] | None,
    file: Path | None,
    statement_path: Path | None,
) -> None:
    from ess_ops import key_end, keys

    state = StateDir(state_dir)
    try:
        pilot = keys.check_pilot(pilot_name)
        databases = _databases(journal) if journal else _state_databases(state, pilot)
        trust_file = file or state.trust_file
        seed_file = seed or state.seed(pilot)
        on = date.today()
        old, new, kept = key_end.rotate_seed(seed_file, on)
        try:
            statement = key_end.end_key(pilot, old, new, databases, reason, on)
        except Exception:
            seed_file.unlink()
            kept.rename(seed_file)  # nothing changed: the old seed is the pilot's seed again
            raise
        key_end.record_end(trust_file, statement)
        name = f"{pilot}-key-end-{on.isoformat()}-{old.public_key[:12]}.json"
        out = statement_path or trust_file.with_name(name)
        key_end.save_statement(statement, out)
    except (keys.KeysError, OSError) as exc:
        fail(str(exc))
    for service, mark in sorted(statement.journals.items()):
        note(f"{pilot}.{service}: journal {mark.first} to {mark.last} vouched under {old.public_key[:12]}…")
    note(f"{pilot}: key {old.public_key[:12]}… {reason}; new key {new.public_key[:12]}… in {seed_file}")
    note(f"old seed kept in {kept}; trust file {trust_file} updated; statement {out}")
    note("start the pilot's services again, and send the statement to the partners (ess keys trust add)")


def _state_databases(state: StateDir, pilot: str) -> dict[ServiceName, str]:
    """The pilot's services that ever ran under `ess up` (a service never started signed nothing)."""
    return {
        service: f"sqlite+aiosqlite:///{state.database(pilot, service)}"
        for p, service in TOPOLOGY
        if p == pilot and state.database(pilot, service).exists()
    }


def _databases(given: list[str]) -> dict[ServiceName, str]:
    from ess_ops.keys import KeysError

    databases: dict[ServiceName, str] = {}
    for item in given:
        service, _, url = item.partition("=")
        known = next((s for s in SERVICES if s == service), None)
        if known is None or not url:
            raise KeysError(
                f"--journal {item!r}: expected SERVICE=DATABASE_URL, SERVICE one of {', '.join(SERVICES)}"
            )
        databases[known] = url
    return databases
