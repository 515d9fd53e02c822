"""Access control for people reaching the services' HTTP APIs: tokens naming a pilot and roles."""

from .fastapi import (
    CROSS_PILOT_READ_ROLES,
    READ_ONLY_METHODS,
    authenticate,
    http_error,
    require,
    require_service_pilot,
)
from .tokens import (
    AUDIENCE,
    LOCAL_ISSUER,
    PILOTS,
    ROLES,
    AuthError,
    LocalIssuer,
    LocalVerifier,
    OidcVerifier,
    Principal,
    TokenVerifier,
    discover_jwks_url,
    principal_from_claims,
    verifier_from_env,
)

__all__ = [
    "AUDIENCE",
    "CROSS_PILOT_READ_ROLES",
    "LOCAL_ISSUER",
    "PILOTS",
    "READ_ONLY_METHODS",
    "ROLES",
    "AuthError",
    "LocalIssuer",
    "LocalVerifier",
    "OidcVerifier",
    "Principal",
    "TokenVerifier",
    "authenticate",
    "discover_jwks_url",
    "http_error",
    "principal_from_claims",
    "require",
    "require_service_pilot",
    "verifier_from_env",
]
