"""Access control on the HTTP APIs: tokens, pilots, roles, as a service answers them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from jwt.algorithms import RSAAlgorithm

from ess_core.auth import (
    AuthError,
    LocalIssuer,
    LocalVerifier,
    OidcVerifier,
    Principal,
    TokenVerifier,
    require,
    require_service_pilot,
    verifier_from_env,
)
from ess_core.auth import tokens as tokens_module

# --- a tiny service ----------------------------------------------------------------------------


def make_app(verifier: TokenVerifier | None, pilot: str = "region") -> FastAPI:
    app = FastAPI()
    if verifier is not None:
        app.state.verifier = verifier
    app.state.pilot = pilot

    def body(p: Principal) -> dict[str, Any]:
        return {"subject": p.subject, "pilot": p.pilot, "roles": sorted(p.roles), "name": p.name}

    @app.get("/me")
    def me(p: Annotated[Principal, Depends(require())]) -> dict[str, Any]:
        return body(p)

    @app.post("/decisions")
    def decide(p: Annotated[Principal, Depends(require("decider", "admin"))]) -> dict[str, Any]:
        return body(p)

    @app.get("/pilots/{pilot}/projects")
    def projects(
        pilot: str, p: Annotated[Principal, Depends(require("instructor", pilot_param="pilot"))]
    ) -> dict[str, Any]:
        return body(p)

    @app.get("/search")
    def search(p: Annotated[Principal, Depends(require(pilot_param="pilot"))]) -> dict[str, Any]:
        return body(p)

    @app.get("/status")
    def status(
        p: Annotated[Principal, Depends(require_service_pilot("region", "operator", "decider"))],
    ) -> dict[str, Any]:
        return body(p)

    @app.post("/status")
    def change(p: Annotated[Principal, Depends(require_service_pilot(None, "operator"))]) -> dict[str, Any]:
        return body(p)

    return app


@pytest.fixture(scope="module")
def issuer() -> LocalIssuer:
    return LocalIssuer.generate()


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ess")


@pytest.fixture
async def client(issuer: LocalIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with http(make_app(LocalVerifier(issuer.public_key_pem))) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refusal(response: Any, status: int) -> str:
    """The reason of a refusal, after checking its status and shape."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail["error"] == {401: "unauthorized", 403: "forbidden", 503: "unavailable"}[status]
    if status == 401:
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token", error_description="')
        assert detail["reason"] in challenge
    reason: str = detail["reason"]
    return reason


def signed(issuer: LocalIssuer, **overrides: Any) -> str:
    """A token signed by `issuer` with claims changed or dropped (None), for claims `mint` refuses."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": "ess-local",
        "aud": "ess",
        "sub": "u1",
        "iat": now,
        "exp": now + timedelta(hours=1),
        "ess_pilot": "region",
        "ess_roles": ["instructor"],
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, issuer.private_key, algorithm="EdDSA")


def hs256(claims: dict[str, Any], secret: bytes, kid: str | None = None) -> str:
    """An HMAC token built by hand: PyJWT rightly refuses to key HMAC with a public key or JWK."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT"} | ({"kid": kid} if kid else {})
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


# --- valid tokens --------------------------------------------------------------------------------


async def test_valid_token_passes(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("alice", "region", ["instructor", "holder"], name="Alice")
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "subject": "alice",
        "pilot": "region",
        "roles": ["holder", "instructor"],
        "name": "Alice",
    }


async def test_one_of_the_roles_is_enough(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("root", "region", ["admin"])
    assert (await client.post("/decisions", headers=bearer(token))).status_code == 200


def test_minted_claims(issuer: LocalIssuer) -> None:
    token = issuer.mint("bob", "bdt", ["decider"], ttl=timedelta(minutes=5))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert claims["iss"] == "ess-local"
    assert claims["aud"] == "ess"
    assert claims["sub"] == "bob"
    assert claims["ess_pilot"] == "bdt"
    assert claims["ess_roles"] == ["decider"]
    assert claims["exp"] - claims["iat"] == 300


# --- 401: no trustworthy token ---------------------------------------------------------------


async def test_missing_token(client: httpx.AsyncClient) -> None:
    reason = refusal(await client.get("/me"), 401)
    assert reason == "no bearer token: send 'Authorization: Bearer <token>'"


async def test_other_scheme(client: httpx.AsyncClient) -> None:
    reason = refusal(await client.get("/me", headers={"Authorization": "Basic dTpw"}), 401)
    assert reason == "authorization scheme 'Basic' is not accepted; send a Bearer token"


async def test_garbage_token(client: httpx.AsyncClient) -> None:
    assert refusal(await client.get("/me", headers=bearer("not-a-jwt")), 401) == "token is malformed"


async def test_expired_token(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("alice", "region", ["instructor"], ttl=timedelta(minutes=-5))
    assert refusal(await client.get("/me", headers=bearer(token)), 401) == "token expired"


async def test_token_of_another_key(client: httpx.AsyncClient) -> None:
    token = LocalIssuer.generate().mint("mallory", "region", ["admin"])
    assert refusal(await client.get("/me", headers=bearer(token)), 401) == "token signature is invalid"


async def test_tampered_claims(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    header, payload, signature = issuer.mint("alice", "region", ["instructor"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["ess_roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await client.post("/decisions", headers=bearer(f"{header}.{forged}.{signature}"))
    assert refusal(response, 401) == "token signature is invalid"


async def test_wrong_audience(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = LocalIssuer(issuer.private_key, audience="billing").mint("alice", "region", ["instructor"])
    assert refusal(await client.get("/me", headers=bearer(token)), 401) == "token is not for audience 'ess'"


async def test_wrong_issuer(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = LocalIssuer(issuer.private_key, issuer="elsewhere").mint("alice", "region", ["instructor"])
    assert (
        refusal(await client.get("/me", headers=bearer(token)), 401) == "token was not issued by 'ess-local'"
    )


async def test_missing_expiry(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = signed(issuer, exp=None)
    assert (
        refusal(await client.get("/me", headers=bearer(token)), 401) == "token lacks the required claim 'exp'"
    )


async def test_hmac_with_the_public_key_is_refused(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    """The classic algorithm confusion: HS256 keyed with the (public) verification key."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": "ess-local", "aud": "ess", "sub": "m", "iat": now, "exp": now + 600}
    token = hs256(claims | {"ess_pilot": "region", "ess_roles": ["admin"]}, issuer.public_key_pem)
    response = await client.get("/me", headers=bearer(token))
    assert refusal(response, 401) == "token is signed with an algorithm that is not accepted"


async def test_unsigned_token_is_refused(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    payload = signed(issuer, ess_roles=["admin"]).split(".")[1]
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    response = await client.get("/me", headers=bearer(f"{none_header}.{payload}."))
    assert refusal(response, 401) == "token is signed with an algorithm that is not accepted"


# --- 403: genuine token, not for this ------------------------------------------------------------


async def test_wrong_role_names_roles(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("ines", "region", ["instructor"])
    reason = refusal(await client.post("/decisions", headers=bearer(token)), 403)
    assert reason == "role 'decider' or 'admin' required; token has: instructor"


async def test_wrong_pilot_in_path_names_both(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("ines", "state", ["instructor"])
    assert (await client.get("/pilots/state/projects", headers=bearer(token))).status_code == 200
    reason = refusal(await client.get("/pilots/region/projects", headers=bearer(token)), 403)
    assert reason == "token is for pilot 'state', this service acts for 'region'"


async def test_pilot_in_query(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("ines", "bdt", ["network"])
    assert (await client.get("/search?pilot=bdt", headers=bearer(token))).status_code == 200
    reason = refusal(await client.get("/search?pilot=region", headers=bearer(token)), 403)
    assert reason == "token is for pilot 'bdt', this service acts for 'region'"
    reason = refusal(await client.get("/search", headers=bearer(token)), 403)
    assert reason == "request names no pilot (parameter 'pilot'), so its pilot cannot be checked"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ess_pilot": None}, "token names no pilot (claim ess_pilot)"),
        ({"ess_pilot": "x"}, "unknown pilot 'x'"),
        ({"ess_roles": ["instructor", "y"]}, "unknown role 'y'"),
        ({"ess_roles": []}, "token names no roles (claim ess_roles)"),
        ({"ess_roles": "admin"}, "token's roles (claim ess_roles) must be a list of role names"),
    ],
)
async def test_unusable_pilot_or_roles(
    client: httpx.AsyncClient, issuer: LocalIssuer, overrides: dict[str, Any], reason: str
) -> None:
    assert refusal(await client.get("/me", headers=bearer(signed(issuer, **overrides))), 403) == reason


async def test_missing_subject_is_unauthorized(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    assert refusal(await client.get("/me", headers=bearer(signed(issuer, sub=""))), 401).startswith("token ")


# --- a service run by one pilot ----------------------------------------------------------------


async def test_service_pilot_accepts_its_own(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    decider = bearer(issuer.mint("d", "region", ["decider"]))
    operator = bearer(issuer.mint("o", "region", ["operator"]))
    assert (await client.get("/status", headers=decider)).status_code == 200
    assert (await client.post("/status", headers=operator)).status_code == 200


async def test_other_pilots_operator_may_only_read(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("ops", "state", ["operator"])
    assert (await client.get("/status", headers=bearer(token))).status_code == 200
    reason = refusal(await client.post("/status", headers=bearer(token)), 403)
    assert reason == "token is for pilot 'state', this service acts for 'region'"


async def test_other_pilots_decider_may_not_read(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.mint("d", "bdt", ["decider"])
    reason = refusal(await client.get("/status", headers=bearer(token)), 403)
    assert reason == "token is for pilot 'bdt', this service acts for 'region'"


async def test_service_pilot_still_checks_roles(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    reason = refusal(
        await client.post("/status", headers=bearer(issuer.mint("h", "region", ["holder"]))), 403
    )
    assert reason == "role 'operator' required; token has: holder"


def test_misspelt_role_fails_at_definition() -> None:
    with pytest.raises(ValueError, match="unknown role 'decidor'"):
        require("decidor")
    with pytest.raises(ValueError, match="unknown pilot 'regoin'"):
        require_service_pilot("regoin")


async def test_service_without_verifier_fails_loudly(issuer: LocalIssuer) -> None:
    async with http(make_app(None)) as c:
        with pytest.raises(RuntimeError, match=r"app\.state\.verifier"):
            await c.get("/me", headers=bearer(issuer.mint("a", "region", ["holder"])))


# --- the local issuer's keys -------------------------------------------------------------------


def test_mint_refuses_what_services_refuse(issuer: LocalIssuer) -> None:
    with pytest.raises(ValueError, match="unknown pilot"):
        issuer.mint("a", "paris", ["holder"])
    with pytest.raises(ValueError, match="unknown role"):
        issuer.mint("a", "region", ["boss"])
    with pytest.raises(ValueError, match="at least one role"):
        issuer.mint("a", "region", [])


def test_save_load_and_env(tmp_path: Path) -> None:
    issuer = LocalIssuer.generate()
    public_path = issuer.save(tmp_path / "auth")
    private_path = tmp_path / "auth" / "issuer.key"
    assert public_path == tmp_path / "auth" / "issuer.pub.pem"
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    assert b"PRIVATE KEY" in private_path.read_bytes()
    assert b"PRIVATE" not in public_path.read_bytes()

    token = LocalIssuer.load(tmp_path / "auth").mint("a", "state", ["holder"])
    verifier = verifier_from_env({"ESS_AUTH_PUBLIC_KEY_FILE": str(public_path)})
    assert verifier.verify(token) == Principal("a", "state", frozenset({"holder"}))


def test_save_tightens_an_existing_key_file(tmp_path: Path) -> None:
    (tmp_path / "issuer.key").write_text("old")
    os.chmod(tmp_path / "issuer.key", 0o644)
    LocalIssuer.generate().save(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "issuer.key").st_mode) == 0o600


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no token verifier configured"),
        ({"ESS_AUTH_PUBLIC_KEY_FILE": "k.pem", "ESS_OIDC_ISSUER": "https://id"}, "not both"),
        ({"ESS_OIDC_ISSUER": "https://id.example"}, "ESS_OIDC_AUDIENCE is not"),
    ],
)
def test_env_misconfiguration(env: dict[str, str], message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        verifier_from_env(env)


def test_env_oidc() -> None:
    verifier = verifier_from_env(
        {
            "ESS_OIDC_ISSUER": "https://id.example/realms/ess",
            "ESS_OIDC_AUDIENCE": "ess-api",
            "ESS_OIDC_JWKS_URL": "https://id.example/realms/ess/certs",
            "ESS_OIDC_ROLES_CLAIM": "realm_access.roles",
        }
    )
    assert isinstance(verifier, OidcVerifier)
    assert (verifier.issuer_url, verifier.audience, verifier.jwks_url) == (
        "https://id.example/realms/ess",
        "ess-api",
        "https://id.example/realms/ess/certs",
    )
    assert verifier.roles_claim == "realm_access.roles"


# --- OpenID Connect ----------------------------------------------------------------------------

OIDC_ISSUER = "https://id.example/realms/ess"
JWKS_URL = "https://id.example/realms/ess/protocol/openid-connect/certs"


class Provider:
    """An identity provider: RSA keys, its JWKS document, and tokens it signs."""

    def __init__(self) -> None:
        self.keys = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, kid: str | None = "k1", key: Any = None, **overrides: Any) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": OIDC_ISSUER,
            "aud": "ess-api",
            "sub": "f:1234",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "name": "Dana Decider",
            "ess_pilot": "state",
            "ess_roles": ["decider"],
        }
        claims.update(overrides)
        headers = {"kid": kid} if kid else {}
        return jwt.encode(claims, key or self.keys["k1"], algorithm="RS256", headers=headers)


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Provider()


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch, provider: Provider) -> list[str]:
    """Replace only PyJWKClient's HTTP GET: key selection, caching and signature checks stay real."""
    urls: list[str] = []

    def fetch_data(self: jwt.PyJWKClient) -> Any:
        urls.append(self.uri)
        return provider.jwks()

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fetch_data)
    return urls


def oidc(**kwargs: Any) -> OidcVerifier:
    return OidcVerifier(OIDC_ISSUER, "ess-api", JWKS_URL, **kwargs)


def test_oidc_valid_token(provider: Provider, fetched: list[str]) -> None:
    verifier = oidc()
    principal = verifier.verify(provider.token())
    assert principal == Principal("f:1234", "state", frozenset({"decider"}), "Dana Decider")
    verifier.verify(provider.token(sub="f:5678"))
    assert fetched == [JWKS_URL]  # the key set is cached


def test_oidc_nested_claims(provider: Provider, fetched: list[str]) -> None:
    token = provider.token(ess_roles=None, realm_access={"roles": ["operator", "holder"]})
    principal = oidc(roles_claim="realm_access.roles").verify(token)
    assert principal.roles == frozenset({"operator", "holder"})


@pytest.mark.parametrize(
    ("token_args", "status", "reason"),
    [
        (
            {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
            401,
            "token signature is invalid",
        ),
        ({"kid": "k9"}, 401, "token is signed with a key the identity provider does not publish"),
        ({"kid": None}, 401, "token names no signing key (header kid)"),
        ({"iss": "https://evil.example"}, 401, f"token was not issued by '{OIDC_ISSUER}'"),
        ({"aud": "other-app"}, 401, "token is not for audience 'ess-api'"),
        ({"exp": datetime.now(UTC) - timedelta(minutes=5)}, 401, "token expired"),
        ({"ess_pilot": None}, 403, "token names no pilot (claim ess_pilot)"),
        ({"ess_roles": ["offline_access"]}, 403, "unknown role 'offline_access'"),
    ],
)
def test_oidc_refusals(
    provider: Provider, fetched: list[str], token_args: dict[str, Any], status: int, reason: str
) -> None:
    with pytest.raises(AuthError) as refused:
        oidc().verify(provider.token(**token_args))
    assert (refused.value.status, refused.value.reason) == (status, reason)


def test_oidc_refuses_hmac_keyed_with_the_published_key(provider: Provider, fetched: list[str]) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": OIDC_ISSUER, "aud": "ess-api", "sub": "m", "iat": now, "exp": now + 600}
    secret = json.dumps(provider.jwks()["keys"][0]).encode()
    token = hs256(claims | {"ess_pilot": "state", "ess_roles": ["admin"]}, secret, kid="k1")
    with pytest.raises(AuthError) as refused:
        oidc().verify(token)
    assert refused.value.reason == "token is signed with an algorithm that is not accepted"


def test_oidc_provider_down_is_503(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch_data(self: jwt.PyJWKClient) -> Any:
        raise jwt.PyJWKClientConnectionError("connection refused")

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fetch_data)
    with pytest.raises(AuthError) as refused:
        oidc().verify(provider.token())
    assert refused.value.status == 503


async def test_oidc_through_a_service(provider: Provider, fetched: list[str]) -> None:
    async with http(make_app(oidc(), pilot="state")) as c:
        assert (await c.post("/decisions", headers=bearer(provider.token()))).status_code == 200
        reason = refusal(await c.get("/pilots/region/projects", headers=bearer(provider.token())), 403)
        assert reason == "role 'instructor' required; token has: decider"
        reason = refusal(await c.get("/me", headers=bearer(provider.token(aud="x"))), 401)
        assert reason == "token is not for audience 'ess-api'"


def test_oidc_discovery(provider: Provider, fetched: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    documents = {
        f"{OIDC_ISSUER}/.well-known/openid-configuration": {"issuer": OIDC_ISSUER, "jwks_uri": JWKS_URL},
    }
    monkeypatch.setattr(tokens_module, "_fetch_json", documents.__getitem__)
    verifier = OidcVerifier(OIDC_ISSUER, "ess-api")
    assert verifier.verify(provider.token()).pilot == "state"
    assert fetched == [JWKS_URL]


def test_oidc_discovery_for_another_issuer_is_refused(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens_module, "_fetch_json", lambda url: {"issuer": "https://evil", "jwks_uri": "x"})
    with pytest.raises(AuthError) as refused:
        OidcVerifier(OIDC_ISSUER, "ess-api").verify(provider.token())
    assert refused.value.status == 503


def test_oidc_over_loopback_http(provider: Provider) -> None:
    """The real fetch path, discovery included, against a provider served on 127.0.0.1."""
    documents: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer_url = f"http://127.0.0.1:{server.server_port}/realms/ess"
    documents["/realms/ess/.well-known/openid-configuration"] = {
        "issuer": issuer_url,
        "jwks_uri": f"{issuer_url}/certs",
    }
    documents["/realms/ess/certs"] = provider.jwks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        verifier = OidcVerifier(issuer_url, "ess-api")
        principal = verifier.verify(provider.token(iss=issuer_url))
        assert principal.subject == "f:1234"
    finally:
        server.shutdown()
        server.server_close()
