"""Bearer tokens for people reaching the HTTP APIs: who they are, for which pilot, in which roles.

Deployments verify tokens of their OpenID Connect provider against its JWKS (`OidcVerifier`). Locally,
`ess up` generates an Ed25519 issuer key at run time, mints EdDSA tokens with `LocalIssuer` and hands the
services the public key file (`LocalVerifier`). No key is ever committed.

Status rule for `AuthError`: 401 when we cannot trust who is calling (no token, bad signature, expired,
wrong issuer or audience, malformed); 403 when the token is genuine but grants nothing usable here (no or
unknown pilot, no or unknown roles); 503 when the identity provider's keys cannot be fetched.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PILOTS: frozenset[str] = frozenset({"region", "state", "bdt"})
ROLES: frozenset[str] = frozenset({"holder", "network", "instructor", "decider", "operator", "admin"})

AUDIENCE = "ess"
LOCAL_ISSUER = "ess-local"
PILOT_CLAIM = "ess_pilot"
ROLES_CLAIM = "ess_roles"
PRIVATE_KEY_FILE = "issuer.key"
PUBLIC_KEY_FILE = "issuer.pub.pem"

# Clocks of the provider and the services drift a little; more would stretch a token's life.
CLOCK_SKEW = timedelta(seconds=30)
# Asymmetric only: accepting HS* would let anyone holding the public key forge tokens.
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class AuthError(Exception):
    """A request cannot be let in; `status` is the HTTP status, `reason` a sentence for the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """The person behind a verified token."""

    subject: str
    pilot: str
    roles: frozenset[str]
    name: str | None = None

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class TokenVerifier(Protocol):
    """Turns a bearer token into a `Principal`, or raises `AuthError`."""

    def verify(self, token: str) -> Principal: ...


# --- minting (local runs only) ---------------------------------------------------------------


class LocalIssuer:
    """The run-time Ed25519 key `ess up` signs people's tokens with; its public half goes to the services."""

    def __init__(self, private_key: Ed25519PrivateKey, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE):
        self.private_key = private_key
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def generate(cls, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE) -> LocalIssuer:
        return cls(Ed25519PrivateKey.generate(), issuer, audience)

    @classmethod
    def load(cls, directory: Path | str, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE) -> LocalIssuer:
        pem = (Path(directory) / PRIVATE_KEY_FILE).read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{PRIVATE_KEY_FILE} in {directory} is not an Ed25519 private key")
        return cls(key, issuer, audience)

    @property
    def public_key_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def save(self, directory: Path | str) -> Path:
        """Write `issuer.key` (owner-only, 0600) and `issuer.pub.pem`; returns the public key's path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        private_pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(directory / PRIVATE_KEY_FILE, private_pem)
        public_path = directory / PUBLIC_KEY_FILE
        public_path.write_bytes(self.public_key_pem)
        return public_path

    def mint(
        self,
        subject: str,
        pilot: str,
        roles: Iterable[str],
        ttl: timedelta = timedelta(hours=12),
        *,
        name: str | None = None,
    ) -> str:
        """A signed EdDSA token; refuses pilots and roles the services would refuse anyway."""
        role_list = sorted(set(roles))
        _check_mintable(subject, pilot, role_list)
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            PILOT_CLAIM: pilot,
            ROLES_CLAIM: role_list,
        }
        if name is not None:
            claims["name"] = name
        return jwt.encode(claims, self.private_key, algorithm="EdDSA")


def _write_private(path: Path, data: bytes) -> None:
    """Create the file 0600 from the start, so the key is never readable by others, even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def _check_mintable(subject: str, pilot: str, roles: list[str]) -> None:
    if not subject:
        raise ValueError("a token needs a subject")
    if pilot not in PILOTS:
        raise ValueError(f"unknown pilot {pilot!r}; pilots are {', '.join(sorted(PILOTS))}")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}; roles are {', '.join(sorted(ROLES))}")
    if not roles:
        raise ValueError("a token needs at least one role")


# --- verification ----------------------------------------------------------------------------


class LocalVerifier:
    """Verifies tokens minted by `LocalIssuer`, given its public key."""

    def __init__(self, public_key_pem: str | bytes, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE):
        pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the local issuer's public key must be Ed25519")
        self.public_key = key
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        claims = _decode(token, self.public_key, ["EdDSA"], self.issuer, self.audience)
        return principal_from_claims(claims, PILOT_CLAIM, ROLES_CLAIM)


class OidcVerifier:
    """Verifies an OpenID Connect provider's tokens against its published JWKS.

    Keys are fetched on first use (not at start, so a service comes up while the provider is down) and
    cached by `PyJWKClient` for 5 minutes; a token naming a key not seen yet (rotation) makes it refetch,
    at most once per 30 s, so random key ids cannot make us hammer the provider.
    Without `jwks_url`, the provider's discovery document names it. `pilot_claim` and `roles_claim` may be
    dotted paths into nested claims (e.g. "realm_access.roles").
    """

    def __init__(
        self,
        issuer_url: str,
        audience: str,
        jwks_url: str | None = None,
        pilot_claim: str = PILOT_CLAIM,
        roles_claim: str = ROLES_CLAIM,
    ) -> None:
        self.issuer_url = issuer_url
        self.audience = audience
        self.jwks_url = jwks_url
        self.pilot_claim = pilot_claim
        self.roles_claim = roles_claim
        # Built now when the address is known, so a bad address fails at start, not on a request.
        self._jwks: jwt.PyJWKClient | None = jwt.PyJWKClient(jwks_url) if jwks_url else None

    def verify(self, token: str) -> Principal:
        key = self._signing_key(token)
        claims = _decode(token, key, list(OIDC_ALGORITHMS), self.issuer_url, self.audience)
        return principal_from_claims(claims, self.pilot_claim, self.roles_claim)

    def _signing_key(self, token: str) -> jwt.PyJWK:
        kid = _key_id(token)
        client = self._client()
        try:
            return client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as e:
            raise AuthError(503, "the identity provider's signing keys cannot be fetched") from e
        except (jwt.PyJWKClientError, jwt.PyJWKSetError) as e:
            raise self._lookup_failure(client, e) from e

    @staticmethod
    def _lookup_failure(client: jwt.PyJWKClient, error: jwt.PyJWTError) -> AuthError:
        """Tell a key the provider does not publish (the token's fault) from a broken key set (ours)."""
        try:
            client.get_signing_keys()
        except jwt.PyJWTError:
            return AuthError(503, f"the identity provider's signing keys are unusable: {error}")
        return AuthError(401, "token is signed with a key the identity provider does not publish")

    def _client(self) -> jwt.PyJWKClient:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.jwks_url or discover_jwks_url(self.issuer_url))
        return self._jwks


def _key_id(token: str) -> str:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as e:
        raise AuthError(401, "token is malformed") from e
    if not isinstance(kid, str) or not kid:
        raise AuthError(401, "token names no signing key (header kid)")
    return kid


def discover_jwks_url(issuer_url: str) -> str:
    """The JWKS address from the provider's OpenID Connect discovery document."""
    url = issuer_url.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = _fetch_json(url)
    except (OSError, ValueError) as e:
        raise AuthError(503, f"the identity provider's discovery document cannot be read: {e}") from e
    if document.get("issuer") != issuer_url:
        raise AuthError(503, f"the discovery document at {url} is for issuer {document.get('issuer')!r}")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise AuthError(503, f"the discovery document at {url} names no jwks_uri")
    return jwks_uri


def _fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        document = json.load(response)
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return document


def _decode(token: str, key: Any, algorithms: list[str], issuer: str, audience: str) -> dict[str, Any]:
    """Check signature, algorithm, expiry, issuer and audience; translate PyJWT's errors into reasons."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            leeway=CLOCK_SKEW,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as e:
        raise AuthError(401, _reason(e, issuer, audience)) from e
    return claims


def _reason(error: jwt.PyJWTError, issuer: str, audience: str) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(error, jwt.InvalidSignatureError):
        return "token signature is invalid"
    if isinstance(error, jwt.InvalidAudienceError):
        return f"token is not for audience '{audience}'"
    if isinstance(error, jwt.InvalidIssuerError):
        return f"token was not issued by '{issuer}'"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "token is not valid yet"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"token lacks the required claim '{error.claim}'"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "token is signed with an algorithm that is not accepted"
    if isinstance(error, jwt.DecodeError):
        return "token is malformed"
    return f"token is invalid: {error}"


def principal_from_claims(claims: Mapping[str, Any], pilot_claim: str, roles_claim: str) -> Principal:
    """Read subject, pilot and roles from verified claims; refuse unknown pilots and roles (403)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthError(401, "token names no subject (claim sub)")
    name = claims.get("name")
    return Principal(
        subject=subject,
        pilot=_pilot(_claim(claims, pilot_claim), pilot_claim),
        roles=_roles(_claim(claims, roles_claim), roles_claim),
        name=name if isinstance(name, str) else None,
    )


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _pilot(value: Any, claim: str) -> str:
    if value is None or value == "":
        raise AuthError(403, f"token names no pilot (claim {claim})")
    if not isinstance(value, str):
        raise AuthError(403, f"token's pilot (claim {claim}) must be a string")
    if value not in PILOTS:
        raise AuthError(403, f"unknown pilot '{value}'")
    return value


def _roles(value: Any, claim: str) -> frozenset[str]:
    if value is None or value == []:
        raise AuthError(403, f"token names no roles (claim {claim})")
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise AuthError(403, f"token's roles (claim {claim}) must be a list of role names")
    for role in value:
        if role not in ROLES:
            raise AuthError(403, f"unknown role '{role}'")
    return frozenset(value)


# --- configuration ---------------------------------------------------------------------------


def verifier_from_env(env: Mapping[str, str] | None = None) -> TokenVerifier:
    """The verifier a service uses, from its environment.

    Local: `ESS_AUTH_PUBLIC_KEY_FILE` (optional `ESS_AUTH_ISSUER`, `ESS_AUTH_AUDIENCE`). Deployments:
    `ESS_OIDC_ISSUER` and `ESS_OIDC_AUDIENCE`, optional `ESS_OIDC_JWKS_URL` (else discovery),
    `ESS_OIDC_PILOT_CLAIM`, `ESS_OIDC_ROLES_CLAIM`. Setting both, or neither, is a configuration error:
    a service must never start open or guess which issuer to trust.
    """
    env = os.environ if env is None else env
    key_file = env.get("ESS_AUTH_PUBLIC_KEY_FILE")
    oidc_issuer = env.get("ESS_OIDC_ISSUER")
    if key_file and oidc_issuer:
        raise RuntimeError("set either ESS_AUTH_PUBLIC_KEY_FILE or ESS_OIDC_ISSUER, not both")
    if key_file:
        return LocalVerifier(
            Path(key_file).read_bytes(),
            issuer=env.get("ESS_AUTH_ISSUER", LOCAL_ISSUER),
            audience=env.get("ESS_AUTH_AUDIENCE", AUDIENCE),
        )
    if oidc_issuer:
        return _oidc_from_env(oidc_issuer, env)
    raise RuntimeError("no token verifier configured: set ESS_AUTH_PUBLIC_KEY_FILE or ESS_OIDC_ISSUER")


def _oidc_from_env(issuer: str, env: Mapping[str, str]) -> OidcVerifier:
    audience = env.get("ESS_OIDC_AUDIENCE")
    if not audience:
        raise RuntimeError("ESS_OIDC_ISSUER is set but ESS_OIDC_AUDIENCE is not")
    return OidcVerifier(
        issuer,
        audience,
        jwks_url=env.get("ESS_OIDC_JWKS_URL") or None,
        pilot_claim=env.get("ESS_OIDC_PILOT_CLAIM", PILOT_CLAIM),
        roles_claim=env.get("ESS_OIDC_ROLES_CLAIM", ROLES_CLAIM),
    )
