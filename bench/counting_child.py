"""`python -m bench.counting_child ess_<service>`: the service as `ess_ops.cli.child` runs it, with every
SQL statement counted (SQLAlchemy's `before_cursor_execute`, all engines of the process).

SIGUSR1 writes the counts so far, by statement (its first words), to the file named by
`ESS_BENCH_STATEMENTS` plus the process id; `bench/profile_live.py` asks before and after a run and
subtracts. Bench only: the services never import this.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ess_ops.cli import child

_counts: Counter[str] = Counter()
_rows: Counter[str] = Counter()


def _key(statement: str) -> str:
    return " ".join(statement.split())[:90]


def _count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    key = _key(statement)
    _counts[key] += 1
    _rows[key] += len(parameters) if executemany else 1


def _dump(signum: int, frame: FrameType | None) -> None:
    out = Path(f"{os.environ['ESS_BENCH_STATEMENTS']}.{os.getpid()}")
    out.write_text(json.dumps({"statements": dict(_counts), "rows": dict(_rows)}))


def main(argv: list[str]) -> None:
    event.listen(Engine, "before_cursor_execute", _count)
    signal.signal(signal.SIGUSR1, _dump)
    child.main(argv)


if __name__ == "__main__":
    main(sys.argv)
