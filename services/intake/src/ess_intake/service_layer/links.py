"""The holder's private link: `/follow/<project>/<token>`, where the token is an HMAC of the project id and
the link's generation.

The token is never stored, so a retried submission gets the same link again (the idempotent answer carries
it) and a database copy holds no usable link. Whoever has the link follows the project and answers its
correction requests, as with a shared document's secret address. What is stored is the link's state
(adapters/follow_links.py): its generation, until when it works, whether it was revoked. Re-issuing a link
moves to the next generation, so the previous link stops working; generation 0 is the link given at
submission (its token is the HMAC of the project id alone, as before links had generations).

Several keys may be configured, newest first: new links are signed with the first, and a link signed with
any of them is recognised, so rotating the key does not break the links already given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FollowLinks:
    keys: Sequence[bytes]

    def token(self, project_id: str, generation: int = 0, key: bytes | None = None) -> str:
        message = f"follow:{project_id}" if generation == 0 else f"follow:{project_id}:{generation}"
        mac = hmac.new(key or self.keys[0], message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def path(self, project_id: str, generation: int = 0) -> str:
        return f"/follow/{project_id}/{self.token(project_id, generation)}"

    def generation_of(self, project_id: str, token: str, current: int) -> int | None:
        """Which generation, up to `current`, this token is the link of, under any configured key."""
        given = token.encode("utf-8", "replace")
        for generation in range(current, -1, -1):
            for key in self.keys:
                if hmac.compare_digest(self.token(project_id, generation, key).encode(), given):
                    return generation
        return None
