"""`python -m ess_console`: the console of one pilot (under `ess up`, on the socket it was given)."""

from __future__ import annotations

import socket

import uvicorn

from ess_console.app import build_console
from ess_console.settings import ConsoleSettings


def main() -> None:
    settings = ConsoleSettings.from_env()
    config = uvicorn.Config(
        build_console(settings), host=settings.http_host, port=settings.http_port, log_level="warning"
    )
    sockets = None if settings.http_fd is None else [socket.socket(fileno=settings.http_fd)]
    uvicorn.Server(config).run(sockets=sockets)


if __name__ == "__main__":
    main()
