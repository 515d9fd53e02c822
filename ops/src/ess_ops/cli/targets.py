"""Which services a command addresses: those of the running `ess up` (its run.json), or one service given
by `--url` and a token (a deployment), and the options of commands that follow a long operation. Used by
`ess dlq`, `ess republish`, `ess view rebuild` (`targets`) and by each service's commands (`endpoint`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ess_ops.cli.console import fail

if TYPE_CHECKING:
    import httpx

    from ess_ops.cli.runfile import ServiceInfo

StateDirOpt = Annotated[Path, typer.Option("--state-dir", help="Where `ess up` keeps keys, data, logs.")]
UrlOpt = Annotated[
    str | None, typer.Option("--url", envvar="ESS_SERVICE_URL", help="One service's HTTP base.")
]
STALL_AFTER_ENV = "ESS_STALL_AFTER_S"
STALL_AFTER_S = 60.0  # a long operation fails after this long without progress (cli/progress.py)
StallOpt = Annotated[
    float,
    typer.Option(
        "--stall-after", envvar=STALL_AFTER_ENV, help="Fail after this many seconds without progress."
    ),
]
TokenOpt = Annotated[Path | None, typer.Option("--token", envvar="ESS_TOKEN_FILE", help="Bearer token file.")]
PersonOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this person of the `ess up` run (e.g. state-second-decider) "
        "(default: the pilot's person holding the role the command needs).",
    ),
]


def person_token(tokens: dict[str, str], pilot: str, role: str, person: str | None = None) -> str:
    """The bearer token of `person`, else of the pilot's person holding `role` (`ess up` mints one person
    per role and pilot, never one holding them all: a command acts with the duty it needs, no more)."""
    stem = person or f"{pilot}-{role}"
    if stem not in tokens:
        fail(f"no person {stem!r} in this run: {', '.join(sorted(tokens))}")
    return Path(tokens[stem]).read_text().strip()


def targets(
    state_dir: Path, service: str | None, url: str | None, token: Path | None, role: str
) -> list[tuple[str, str, str]]:
    """(name, base url, token) of each service addressed; under `ess up`, as the pilot's person of
    `role` (operator to look, admin to change)."""
    if url is not None:
        if token is None:
            fail("--url needs --token (a file holding a bearer token of the service's pilot)")
        return [(service or url, url, token.read_text().strip())]
    from ess_ops.cli import runfile

    try:
        info = runfile.load(state_dir / "run.json")
    except runfile.RunFileError as exc:
        fail(str(exc))
    chosen = [s for s in info.services if service in (None, s.name)]
    if not chosen:
        fail(f"no service {service!r} in this run: {', '.join(s.name for s in info.services)}")
    return [(s.name, s.http_url, person_token(info.tokens, s.pilot, role)) for s in chosen]


def call(method: str, base: str, token: str, path: str) -> Any:
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:
        answer = client.request(method, path)
    if answer.status_code == 404 and method == "POST":
        return None
    if answer.status_code >= 400:
        fail(f"{base}{path}: {answer.status_code} {answer.text[:200]}")
    return answer.json()


@dataclass(frozen=True)
class Endpoint:
    """One pilot's service: its HTTP base and a bearer token of that pilot."""

    url: str
    token: str

    def client(self, timeout: float = 60) -> httpx.Client:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout, trust_env=False)


def running(state_dir: Path, pilot: str, service: str) -> ServiceInfo:
    """The `ess up` in `state_dir`'s service of this pilot and kind."""
    from ess_ops.cli import runfile

    try:
        info = runfile.load(state_dir / "run.json")
    except runfile.RunFileError as exc:
        fail(f"no --url given and {exc}")
    found = [s for s in info.services if (s.pilot, s.service) == (pilot, service)]
    if not found:
        fail(f"the ess up in {state_dir} runs no {service} service for pilot {pilot!r}")
    return found[0]


def endpoint(
    state_dir: Path,
    pilot: str,
    service: str,
    url: str | None,
    token_file: Path | None,
    *,
    role: str,
    token: str | None = None,
    person: str | None = None,
) -> Endpoint:
    """`--url` and a token (`token`, else `token_file`) when given, else the running `ess up`'s service of
    this pilot and kind, as the pilot's person of `role` there (or as `person`, e.g. state-second-decider)."""
    from ess_ops.cli import runfile

    if url is None:
        url = running(state_dir, pilot, service).http_url
    if token is None and token_file is not None:
        token = token_file.read_text().strip()
    if token is None:
        try:
            tokens = runfile.load(state_dir / "run.json").tokens
        except runfile.RunFileError as exc:
            fail(f"no token given and {exc}")
        token = person_token(tokens, pilot, role, person)
    return Endpoint(url.rstrip("/"), token)
