"""The committed AsyncAPI documents pass the AsyncAPI project's own validator (`@asyncapi/cli`, which
`.ci/run` installs from the npm registry). Without it the test skips and says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((REPO / "docs" / "asyncapi").glob("*.json"))


@pytest.mark.timeout(360)
def test_the_asyncapi_validator_accepts_every_committed_document(tmp_path: Path) -> None:
    cli = shutil.which("asyncapi")
    if cli is None:
        pytest.skip("the AsyncAPI CLI is not installed: `npm install -g @asyncapi/cli` (.ci/run does)")
    assert DOCUMENTS, "no document in docs/asyncapi: run `make docs`"
    analytics = tmp_path / "analytics.json"  # no tracking call home, no first-run banner
    analytics.write_text(
        json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "ess"})
    )
    env = {**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(analytics), "SUPPRESS_NO_CONFIG_WARNING": "1"}
    # One at a time: the CLI creates its own folders on first use, and two first uses at once race on them
    # (seen: `EEXIST ... mkdir '.../@asyncapi/cli/lib/utils/logs'` on a CLI installed a minute earlier).
    failed = {}
    for path in DOCUMENTS:
        run = subprocess.run(
            [cli, "validate", str(path), "--fail-severity", "warn"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=110,
        )
        if run.returncode != 0 or "is valid" not in run.stdout:
            failed[path.name] = run.stdout
    assert not failed, "\n\n".join(f"{name}:\n{output}" for name, output in failed.items())
