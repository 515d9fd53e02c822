"""`python -m ess_ops.cli.child ess_<service>`: run a service module as a child of `ess up`.

The child reads its stdin, a pipe whose other end only `ess up` holds. When `ess up` goes away for any
reason, even SIGKILL, the kernel closes that end: the child sees end-of-file and stops itself (SIGTERM,
so the service shuts down cleanly; after a grace period it exits hard). No orphan, no prctl.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

GRACE_SECONDS = 10.0


def _watch_parent() -> None:
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1].startswith("ess_"):
        raise SystemExit("usage: python -m ess_ops.cli.child ess_<service>")
    module = argv[1]
    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
