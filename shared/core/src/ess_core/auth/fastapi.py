"""FastAPI dependencies: a request gets in only with a valid token of the right pilot and roles.

Each service sets `app.state.verifier` (usually `verifier_from_env()`) at start, so the same routes run
with the local issuer or an OpenID Connect provider. Use on a route:

    principal: Annotated[Principal, Depends(require("decider", "admin"))]

Refusals are `HTTPException`s with body `{"detail": {"error": "unauthorized"|"forbidden"|"unavailable",
"reason": "..."}}`; 401s carry `WWW-Authenticate: Bearer` as RFC 6750 asks. No role implies another:
an endpoint open to admins says so by listing "admin".
"""

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .tokens import PILOTS, ROLES, AuthError, Principal, TokenVerifier

READ_ONLY_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
# Roles whose holders may read (never write) at another pilot's service; see `require_service_pilot`.
CROSS_PILOT_READ_ROLES: frozenset[str] = frozenset({"operator"})

_ERRORS = {401: "unauthorized", 403: "forbidden", 503: "unavailable"}

# Declared as a security scheme so the OpenAPI docs offer "Authorize"; the header is checked below.
_bearer = HTTPBearer(auto_error=False, description="A signed JWT naming a pilot (ess_pilot) and roles.")

Dependency = Callable[..., Principal]


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified principal of this request (401 otherwise); FastAPI runs it once per request."""
    try:
        principal = _verifier(request).verify(_token(request, credentials))
    except AuthError as e:
        raise http_error(e) from e
    request.state.principal = principal
    return principal


def require(*roles: str, pilot_param: str | None = None) -> Dependency:
    """A dependency letting in tokens with at least one of `roles` (any role when none are given).

    With `pilot_param`, the path or query parameter of that name must equal the token's pilot, for
    routes that act for a pilot named in the address.
    """
    _check_roles_known(roles)

    def dependency(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        try:
            _check_roles(principal, roles)
            if pilot_param is not None:
                _check_pilot(principal, _pilot_from_request(request, pilot_param))
        except AuthError as e:
            raise http_error(e) from e
        return principal

    return dependency


def require_service_pilot(
    service_pilot: str | None,
    *roles: str,
    cross_pilot_read_roles: Iterable[str] = CROSS_PILOT_READ_ROLES,
) -> Dependency:
    """A dependency for a service run by one pilot: tokens of other pilots are refused, with one exception.

    The exception: a read (GET, HEAD, OPTIONS) by a role in `cross_pilot_read_roles` that this route also
    accepts. By default only "operator" may read across pilots, to watch another pilot's service. Others
    read at their own pilot's service, whose views hold the same events; personal data that stays in one
    pilot's intake database is not shown to the other pilots' instructors, deciders or admins. Pass an
    empty set to refuse every other pilot. With `service_pilot` None it is read from `app.state.pilot`.
    """
    _check_roles_known(roles)
    if service_pilot is not None and service_pilot not in PILOTS:
        raise ValueError(f"unknown pilot {service_pilot!r}")
    read_roles = frozenset(cross_pilot_read_roles)
    _check_roles_known(read_roles)

    def dependency(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        try:
            _check_roles(principal, roles)
            acting = service_pilot or _app_pilot(request)
            if not _may_read_across(request, principal, roles, read_roles):
                _check_pilot(principal, acting)
        except AuthError as e:
            raise http_error(e) from e
        return principal

    return dependency


def http_error(error: AuthError) -> HTTPException:
    """The HTTP answer for a refusal; also for routes that check finer rules themselves."""
    headers = None
    if error.status == 401:
        headers = {
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{_quoted(error.reason)}"'
        }
    detail = {"error": _ERRORS.get(error.status, "forbidden"), "reason": error.reason}
    return HTTPException(status_code=error.status, detail=detail, headers=headers)


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    header = request.headers.get("authorization", "").strip()
    if not header:
        raise AuthError(401, "no bearer token: send 'Authorization: Bearer <token>'")
    scheme = header.split(" ", 1)[0]
    if scheme.lower() != "bearer":
        raise AuthError(401, f"authorization scheme '{scheme}' is not accepted; send a Bearer token")
    raise AuthError(401, "bearer token is empty")


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise RuntimeError("app.state.verifier is not set; wire ess_core.auth.verifier_from_env() at start")
    return verifier


def _app_pilot(request: Request) -> str:
    pilot = getattr(request.app.state, "pilot", None)
    if not isinstance(pilot, str) or pilot not in PILOTS:
        raise RuntimeError(f"app.state.pilot must name the service's pilot, one of {sorted(PILOTS)}")
    return pilot


def _pilot_from_request(request: Request, param: str) -> str:
    value = request.path_params.get(param) or request.query_params.get(param)
    if not value:
        raise AuthError(403, f"request names no pilot (parameter '{param}'), so its pilot cannot be checked")
    return str(value)


def _check_roles_known(roles: Iterable[str]) -> None:
    """Fail at import time on a misspelt role, rather than refusing everyone at run time."""
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}; roles are {', '.join(sorted(ROLES))}")


def _check_roles(principal: Principal, roles: tuple[str, ...]) -> None:
    if roles and not principal.has_any(roles):
        held = ", ".join(sorted(principal.roles))
        raise AuthError(403, f"{_roles_phrase(roles)} required; token has: {held}")


def _check_pilot(principal: Principal, acting_pilot: str) -> None:
    if principal.pilot != acting_pilot:
        raise AuthError(
            403, f"token is for pilot '{principal.pilot}', this service acts for '{acting_pilot}'"
        )


def _may_read_across(
    request: Request, principal: Principal, roles: tuple[str, ...], read_roles: frozenset[str]
) -> bool:
    if request.method not in READ_ONLY_METHODS:
        return False
    usable = read_roles & frozenset(roles) if roles else read_roles
    return principal.has_any(usable)


def _roles_phrase(roles: tuple[str, ...]) -> str:
    quoted = [f"'{r}'" for r in roles]
    if len(quoted) == 1:
        return f"role {quoted[0]}"
    return f"role {', '.join(quoted[:-1])} or {quoted[-1]}"


def _quoted(text: str) -> str:
    """RFC 6750 allows no double quote, backslash or non-ASCII in error_description."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)
