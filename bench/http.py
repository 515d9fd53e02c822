"""A lean HTTP/1.1 client for the load: keep-alive connections, one request at a time on each.

httpx costs this process about 2 ms of CPU a request; on 2 cores shared with the services under test that
is CPU taken from them. A request here is a few writes and reads on a socket (the services answer with
Content-Length, as uvicorn does for JSON).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\n"
            + self.head
            + b"Content-Length: %d\r\n\r\n" % len(body)
        )
        self.writer.write(body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split(b" ", 2)[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@asynccontextmanager
async def connection(base_url: str, headers: dict[str, str]) -> AsyncIterator[Connection]:
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    fixed = {"Host": f"{url.hostname}:{url.port}", "Content-Type": "application/json", **headers}
    head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode()
    conn = Connection(reader, writer, head)
    try:
        yield conn
    finally:
        conn.close()
