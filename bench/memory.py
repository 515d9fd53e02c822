"""Memory: peak RSS of a service's projection replaying N events on SQLite, each N in a fresh process.

The child runs the same code as `bench.replay.ours` (the service's `ProjectionRunner` with the shared
views) against a stream already loaded, stops when it has applied event N, and reports `VmHWM` from
/proc/self/status (the kernel's high-water mark of resident memory), falling back to `getrusage`.

    python -m bench.memory NATS_URL TRUST_FILE LAST_SEQ WORK_DIR    (the child; prints one JSON line)
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from ess_contracts.signing import TrustFile, TrustStore


def peak_rss_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def _child(nats_url: str, trust_file: Path, last_seq: int, work: Path) -> dict[str, float]:
    from bench import infra, replay

    trust = TrustStore(TrustFile.load(trust_file))
    async with infra.database("sqlite", work) as url:
        # no digest: it reads whole tables, which is a reader's peak, not the projection's
        run = await replay.ours(nats_url, url, trust, last_seq, f"memory-{last_seq}", digest=False)
        peak = peak_rss_kib()
    return {"events": last_seq, "seconds": run.seconds, "peak_rss_mib": peak / 1024}


def measure(nats_url: str, trust: TrustStore, last_seq: int) -> dict[str, float]:
    """One fresh interpreter replaying the stream up to `last_seq`."""
    with tempfile.TemporaryDirectory(prefix="ess-bench-mem-") as scratch:
        trust_file = Path(scratch) / "trust.json"
        trust.trust.save(trust_file)
        done = subprocess.run(
            [sys.executable, "-m", "bench.memory", nats_url, str(trust_file), str(last_seq), scratch],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if done.returncode != 0:
            raise RuntimeError(f"memory child failed: {done.stderr[-2000:]}")
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


if __name__ == "__main__":
    url, trust_path, last, work_dir = sys.argv[1:5]
    print(json.dumps(asyncio.run(_child(url, Path(trust_path), int(last), Path(work_dir)))))
