"""The pilot's services, called with the signed-in person's own token: the services check roles, the
console only shows what they answer."""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_S = 15.0


class ServiceRefused(Exception):
    def __init__(self, status: int, reason: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason
        self.detail = detail or {}
        """The service's structured refusal (a rule breach: its rules and verdicts)."""


class Backend:
    """Reads go to the pilot's funding service (it holds the shared views) unless they name another of
    its services (`intake`, `evaluation`)."""

    def __init__(self, urls: dict[str, str | None], token: str | None) -> None:
        self.urls, self.token = urls, token
        """None: no person's token (the holder's private link is its own key)."""

    async def get(self, path: str, params: dict[str, Any] | None = None, service: str = "funding") -> Any:
        """The service's answer; None when it has no such thing (404)."""
        return await self._call(service, "GET", path, params=params)

    async def put(self, path: str, body: dict[str, Any], service: str = "funding") -> Any:
        return await self._call(service, "PUT", path, json=body)

    async def post(
        self, service: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        return await self._call(service, "POST", path, json=body, headers=headers)

    async def _call(
        self, service: str, method: str, path: str, headers: dict[str, str] | None = None, **request: Any
    ) -> Any:
        headers = dict(headers or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        base = self.urls.get(service)
        if base is None:
            raise ServiceRefused(404, f"ce pilote n'a pas de service {service}")
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, trust_env=False) as client:
            answer = await client.request(method, path, headers=headers, **request)
        if answer.status_code == 404:
            return None
        if answer.status_code == 422:
            raise InvalidInput(_fields(answer))
        if answer.status_code >= 400:
            raise ServiceRefused(answer.status_code, _reason(answer), _detail(answer))
        return answer.json()


class InvalidInput(Exception):
    """The service refused what a form sent: each field it named, with its rule."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def _fields(answer: httpx.Response) -> dict[str, str]:
    """The last part of each field the service named (`body.email` -> `email`), and its message; a rule
    over several fields is named `body`."""
    detail = answer.json().get("detail")
    if isinstance(detail, dict):  # the service's own refusal: {"error", "reason", "errors"?}
        items = detail.get("errors") or [
            {"loc": [detail.get("field") or "body"], "msg": detail.get("reason")}
        ]
    else:
        items = detail if isinstance(detail, list) else [{"loc": ["body"], "msg": str(detail)}]
    found = {}
    for item in items:
        loc = item.get("field") or ".".join(str(p) for p in item.get("loc", ())) or "body"
        found[str(loc).removeprefix("body.").removeprefix("query.")] = str(item.get("msg"))
    return found


def _reason(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return answer.text[:200]
    if isinstance(detail, dict):
        return str(detail.get("reason", detail))
    return str(detail)


def _detail(answer: httpx.Response) -> dict[str, Any]:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}
