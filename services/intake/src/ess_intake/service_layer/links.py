"""The holder's private link: `/follow/<project>/<token>`, where the token is an HMAC of the project id.

Nothing is stored, so the link is the same on every retry of a submission (the idempotent answer
carries it again) and a database copy holds no usable link. Whoever has the link follows the project and
answers its correction requests, as with a shared document's secret address."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class FollowLinks:
    key: bytes

    def token(self, project_id: str) -> str:
        mac = hmac.new(self.key, f"follow:{project_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def path(self, project_id: str) -> str:
        return f"/follow/{project_id}/{self.token(project_id)}"

    def valid(self, project_id: str, token: str) -> bool:
        return hmac.compare_digest(self.token(project_id).encode(), token.encode("utf-8", "replace"))
