"""A local Démarches Simplifiées: Ariadne serving the project's subset of DS's GraphQL API
(`ds_schema.graphql`) over real HTTP (uvicorn on a loopback port, in a thread), with dossiers the test
changes as it goes. Pagination works as DS's does: `updatedSince` keeps the dossiers modified since,
ordered by modification, and the cursor names the last one served. It records every query it is sent,
checks the bearer token, and can fail from a given page on, as DS does when it goes down."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from ariadne import InterfaceType, ObjectType, QueryType, make_executable_schema
from ariadne.asgi import GraphQL
from starlette.types import Receive, Scope, Send

SCHEMA = Path(__file__).with_name("ds_schema.graphql")


@dataclass
class DsState:
    """What the server holds and what it saw; the test thread reads and changes it between runs."""

    token: str
    demarches: dict[int, dict[str, Any]] = field(default_factory=dict)
    """number -> {"title", "descriptors": [...], "dossiers": {number: dossier}, "deleted": [...]}"""
    queries: list[dict[str, Any]] = field(default_factory=list)
    dossier_pages: int = 0
    fail_from_page: int | None = None
    """Dossier pages served before DS "goes down" (answers an error); None: it stays up."""


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _cursor(dossier: dict[str, Any], key: str) -> str:
    return base64.urlsafe_b64encode(f"{dossier[key]}|{dossier['number']}".encode()).decode()


def _after(cursor: str) -> tuple[datetime, int]:
    when, number = base64.urlsafe_b64decode(cursor.encode()).decode().rsplit("|", 1)
    return _instant(when), int(number)


def _connection(
    items: list[dict[str, Any]], key: str, first: int | None, after: str | None
) -> dict[str, Any]:
    ordered = sorted(items, key=lambda d: (_instant(d[key]), d["number"]))
    if after is not None:
        mark = _after(after)
        ordered = [d for d in ordered if (_instant(d[key]), d["number"]) > mark]
    size = min(first or 100, 100)
    page = ordered[:size]
    end = _cursor(page[-1], key) if page else after
    return {"pageInfo": {"hasNextPage": len(ordered) > size, "endCursor": end}, "nodes": page}


def build_app(state: DsState) -> Any:
    query, demarche = QueryType(), ObjectType("Demarche")

    @query.field("demarche")
    def resolve_demarche(*_: Any, number: int) -> dict[str, Any]:
        found = state.demarches.get(number)
        if found is None:
            raise ValueError(f"Demarche not found (number {number})")
        return {"number": number, **found}

    @demarche.field("activeRevision")
    def resolve_revision(obj: dict[str, Any], *_: Any) -> dict[str, Any]:
        return {"id": "rev-1", "champDescriptors": obj["descriptors"]}

    @demarche.field("dossiers")
    async def resolve_dossiers(obj: dict[str, Any], *_: Any, **args: Any) -> dict[str, Any]:
        if state.fail_from_page is not None and state.dossier_pages >= state.fail_from_page:
            raise RuntimeError("Service indisponible")
        state.dossier_pages += 1
        since = args.get("updatedSince")
        items = [
            d
            for d in obj["dossiers"].values()
            if (since is None or _instant(d["dateDerniereModification"]) >= _instant(since))
            and args.get("state") in (None, d["state"])
        ]
        return _connection(items, "dateDerniereModification", args.get("first"), args.get("after"))

    @demarche.field("deletedDossiers")
    def resolve_deleted(obj: dict[str, Any], *_: Any, **args: Any) -> dict[str, Any]:
        since = args.get("deletedSince")
        items = [
            d for d in obj["deleted"] if since is None or _instant(d["dateSupression"]) >= _instant(since)
        ]
        return _connection(items, "dateSupression", args.get("first"), args.get("after"))

    by_typename = [InterfaceType(name) for name in ("Champ", "ChampDescriptor", "Demandeur")]
    for interface in by_typename:
        interface.set_type_resolver(lambda obj, *_: obj["__typename"])
    schema = make_executable_schema(SCHEMA.read_text(encoding="utf-8"), query, demarche, *by_typename)
    graphql = GraphQL(schema)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """The token checked as DS does (401 without it), and every query recorded before it runs."""
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if headers.get(b"authorization") != f"Bearer {state.token}".encode():
                await _answer(send, 401, b'{"errors":[{"message":"Without a token, no API"}]}')
                return
            receive = await _recording(receive, state)
        await graphql(scope, receive, send)

    return app


async def _recording(receive: Receive, state: DsState) -> Receive:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    with contextlib.suppress(ValueError):  # not JSON: the GraphQL server answers it
        state.queries.append(json.loads(body))
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


class ServedDs:
    """`with ServedDs(state) as ds:` serves the local DS at `ds.url` until the block ends."""

    def __init__(self, state: DsState) -> None:
        self.state = state
        self.url = ""
        config = uvicorn.Config(
            build_app(state), host="127.0.0.1", port=0, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True)

    def __enter__(self) -> ServedDs:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the local DS server did not start")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/api/v2/graphql"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
