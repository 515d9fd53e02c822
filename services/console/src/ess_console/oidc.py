"""Sign-in through the pilot's identity provider: OpenID Connect's authorization code flow with PKCE (S256).

`start` keeps a random `state` (the key), `nonce` and PKCE `code_verifier` in this process's memory for ten
minutes and returns the provider's authorization address; the browser comes back to `/connexion/retour`,
where `finish` takes the state once (a second use, or one never issued, is refused), exchanges the code with
the verifier, verifies the ID token (signature against the provider's published keys, `iss`, `aud` = our
client id, `exp`, `nonce`) and reads the person's pilot and roles from it. Every refusal is a `Refused`:
an HTTP status and a sentence in French for the sign-in page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt

from ess_console import labels
from ess_console.people import Person
from ess_console.settings import OidcSettings

FLOW_SECONDS = 600.0
"""How long a started sign-in waits for the browser to come back."""
MAX_PENDING = 10_000
"""Started sign-ins kept at most: anyone may start one, so the oldest go first past this."""
KEYS_REFETCH_S = 30.0
"""An ID token naming a key not seen yet (rotation) refetches the keys, at most this often."""
CLOCK_SKEW_S = 30
TIMEOUT_S = 10.0
# Asymmetric only, as the services (ess_core.auth.tokens): HS* would let a holder of a public key forge.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

EXPIRED = (
    "La demande de connexion a expiré, a déjà servi ou n'a pas été faite depuis ce navigateur. "
    "Recommencez la connexion."
)
TOKEN_REFUSED = "Le jeton remis par le fournisseur d'identité n'a pas pu être vérifié : connexion refusée."
UNREACHABLE = "Le fournisseur d'identité ne répond pas. Réessayez dans quelques minutes."
NO_ROLES = (
    "Votre compte n'a aucun rôle dans la stratégie ESS : demandez à l'administration de votre "
    "organisme de vous en attribuer un."
)


class Refused(Exception):
    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(detail or message)
        self.status, self.message, self.detail = status, message, detail


def provider_error(error: str, description: str | None) -> Refused:
    """The provider sent the browser back with `error` (the person declined, the request was refused)."""
    if error == "access_denied":
        said = "La connexion a été refusée ou annulée auprès du fournisseur d'identité."
        return Refused(403, said, description or error)
    return Refused(400, "Le fournisseur d'identité a refusé la demande de connexion.", description or error)


@dataclass(frozen=True)
class Pending:
    nonce: str
    verifier: str
    expires_at: float


@dataclass(frozen=True)
class Verified:
    claims: dict[str, Any]
    service_token: str
    expires_at: float


@dataclass
class Provider:
    settings: OidcSettings
    clock: Callable[[], float] = time.time
    pending: dict[str, Pending] = field(default_factory=dict)
    _document: dict[str, Any] | None = None
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    _keys_at: float = float("-inf")

    async def start(self) -> tuple[str, str]:
        """The provider's authorization address to send the browser to, and the flow's state."""
        document = await self.document()
        self._forget_old()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        self.pending[state] = Pending(nonce, verifier, self.clock() + FLOW_SECONDS)
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
        address = httpx.URL(document["authorization_endpoint"]).copy_merge_params(params)
        return str(address), state

    async def finish(self, state: str, code: str) -> Verified:
        """The verified ID token's claims and the token the services will receive; the state is spent."""
        pending = self.pending.pop(state, None)
        if pending is None or pending.expires_at <= self.clock():
            raise Refused(400, EXPIRED, "unknown, spent or expired state")
        tokens = await self._exchange(code, pending.verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise Refused(401, TOKEN_REFUSED, "the token response has no id_token")
        claims = await self._verify(id_token, pending.nonce)
        if self.settings.service_token == "id_token":
            return Verified(claims, id_token, float(claims["exp"]))
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise Refused(401, TOKEN_REFUSED, "the token response has no access_token")
        lifetime = tokens.get("expires_in")
        ends = self.clock() + lifetime if isinstance(lifetime, int | float) else float(claims["exp"])
        return Verified(claims, access_token, ends)

    async def document(self) -> dict[str, Any]:
        """The provider's discovery document, read once; it must be the configured issuer's."""
        if self._document is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await _get_json(url)
            if document.get("issuer") != self.settings.issuer:
                raise Refused(503, UNREACHABLE, f"the discovery document is for {document.get('issuer')!r}")
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not all(isinstance(document.get(n), str) for n in needed):
                raise Refused(503, UNREACHABLE, f"the discovery document lacks one of {needed}")
            self._document = document
        return self._document

    async def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
        document = await self.document()
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.BasicAuth | None = None
        if self.settings.client_secret is None:
            body["client_id"] = self.settings.client_id  # a public client names itself
        else:  # client_secret_basic: each part form-encoded first (RFC 6749, 2.3.1)
            secret = self.settings.client_secret
            auth = httpx.BasicAuth(quote_plus(self.settings.client_id), quote_plus(secret))
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S, auth=auth) as client:
                answer = await client.post(document["token_endpoint"], data=body)
        except httpx.HTTPError as e:
            raise Refused(503, UNREACHABLE, f"token endpoint: {e}") from e
        tokens = _json_object(answer)
        if answer.status_code != 200:
            said = tokens.get("error_description") or tokens.get("error") or answer.text[:200]
            raise Refused(401, TOKEN_REFUSED, f"token endpoint answered {answer.status_code}: {said}")
        return tokens

    async def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(kid if isinstance(kid, str) else "")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.PyJWTError as e:
            raise Refused(401, TOKEN_REFUSED, f"ID token: {e}") from e
        if not hmac.compare_digest(str(claims["nonce"]), nonce):
            raise Refused(401, TOKEN_REFUSED, "ID token: its nonce is not the one this sign-in sent")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise Refused(401, TOKEN_REFUSED, "ID token: several audiences, and azp is not this console")
        return claims

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys and self.clock() - self._keys_at >= KEYS_REFETCH_S:
            document = await self.document()
            published = jwt.PyJWKSet.from_dict(await _get_json(document["jwks_uri"]))
            self._keys = {k.key_id: k for k in published.keys if k.key_id and k.public_key_use != "enc"}
            self._keys_at = self.clock()
        key = self._keys.get(kid)
        if key is None:
            said = f"ID token signed with a key the provider does not publish: {kid!r}"
            raise Refused(401, TOKEN_REFUSED, said)
        return key

    def _forget_old(self) -> None:
        now = self.clock()
        for state in [s for s, p in self.pending.items() if p.expires_at <= now]:
            del self.pending[state]
        while len(self.pending) >= MAX_PENDING:
            del self.pending[next(iter(self.pending))]


def challenge(verifier: str) -> str:
    """PKCE's S256 challenge: the verifier's SHA-256, base64url without padding (RFC 7636, 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def person_of(verified: Verified, settings: OidcSettings, pilot: str) -> Person:
    """The signed-in person, when the ID token names this console's pilot and roles; else refused (403)."""
    claims = verified.claims
    theirs = claim(claims, settings.pilot_claim)
    if theirs != pilot:
        raise Refused(403, other_pilot(theirs, pilot), f"claim {settings.pilot_claim} is {theirs!r}")
    roles = claim(claims, settings.roles_claim)
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise Refused(403, NO_ROLES, f"claim {settings.roles_claim} is {roles!r}")
    names = [n for k in ("name", "preferred_username", "email") if isinstance(n := claims.get(k), str)]
    label = f"{names[0] if names else claims['sub']} — {labels.PILOTS[pilot]}"
    return Person(verified.service_token, frozenset(roles), label)


def other_pilot(theirs: Any, pilot: str) -> str:
    if not isinstance(theirs, str) or theirs not in labels.PILOTS:
        return (
            "Votre compte n'est rattaché à aucun pilote de la stratégie ESS : demandez à l'administration "
            "de votre organisme de le rattacher."
        )
    return (
        f"Votre compte relève d'un autre pilote, {labels.PILOTS[theirs]} : cette console est celle de "
        f"{labels.PILOTS[pilot]}. Connectez-vous à la console de votre organisme."
    )


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by its dotted path (`realm_access.roles`), as the services read it."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            answer = await client.get(url)
    except httpx.HTTPError as e:
        raise Refused(503, UNREACHABLE, f"{url}: {e}") from e
    document = _json_object(answer)
    if answer.status_code != 200:
        raise Refused(503, UNREACHABLE, f"{url} answered {answer.status_code}")
    return document


def _json_object(answer: httpx.Response) -> dict[str, Any]:
    try:
        document = answer.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
