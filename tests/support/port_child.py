"""`python -m tests.support.port_child ess_<service>`: a stand-in service for the port tests. It serves, on
the listening socket `spawn` hands down (ESS_HTTP_FD), one route: /status naming ESS_PILOT and the service,
as a real service's /status does; it stops when its parent goes (end of file on stdin), like child.py."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"pilot": os.environ["ESS_PILOT"], "service": sys.argv[1].removeprefix("ess_")})
        self.send_response(200 if self.path == "/status" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def serve() -> None:
    server = HTTPServer(("127.0.0.1", 0), Status, bind_and_activate=False)
    server.socket.close()
    server.socket = socket.socket(fileno=int(os.environ["ESS_HTTP_FD"]))  # bound and listening already
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while sys.stdin.buffer.read(4096):
        pass


if __name__ == "__main__":
    serve()
