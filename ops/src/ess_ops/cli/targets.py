"""Which services a command addresses: those of the running `ess up` (its run.json), or one service given
by `--url` and `--token` (a deployment), and the options of commands that follow a long operation. Used by
`ess dlq`, `ess republish`, `ess view rebuild`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ess_ops.cli.console import fail

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


def targets(
    state_dir: Path, service: str | None, url: str | None, token: Path | None
) -> list[tuple[str, str, str]]:
    """(name, base url, token) of each service addressed."""
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
    return [(s.name, s.http_url, Path(info.tokens[s.pilot]).read_text().strip()) for s in chosen]


def call(method: str, base: str, token: str, path: str) -> Any:
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:
        answer = client.request(method, path)
    if answer.status_code == 404 and method == "POST":
        return None
    if answer.status_code >= 400:
        fail(f"{base}{path}: {answer.status_code} {answer.text[:200]}")
    return answer.json()
