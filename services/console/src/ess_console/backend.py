"""The pilot's services, called with the signed-in person's own token: the services check roles, the
console only shows what they answer."""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_S = 15.0


class ServiceRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Backend:
    def __init__(self, funding_url: str, token: str) -> None:
        self.funding_url, self.token = funding_url, token

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.funding_url, timeout=TIMEOUT_S, trust_env=False) as client:
            answer = await client.get(path, params=params, headers=headers)
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise ServiceRefused(answer.status_code, _reason(answer))
        return answer.json()


def _reason(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return answer.text[:200]
    if isinstance(detail, dict):
        return str(detail.get("reason", detail))
    return str(detail)
