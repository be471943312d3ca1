"""Bearer authentication for the REST API: a FastAPI dependency per required scope.

The token itself is checked by the shared api_tokens.TokenVerifier (the gRPC API uses the
same one); this module only speaks HTTP: RFC 6750 challenges and problem responses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..api_tokens import Principal, TokenVerifier
from .problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="An API token (`cpk_...`).")


def _challenge(error: str | None = None, scope: str | None = None) -> dict[str, str]:
    params = [f'error="{error}"'] if error else []
    if scope:
        params.append(f'scope="{scope}"')
    return {"WWW-Authenticate": "Bearer" + (" " + ", ".join(params) if params else "")}


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks one scope."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            raise ProblemError(401, "a bearer token is required", headers=_challenge())
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.verify(credentials.credentials)
        if principal is None:
            raise ProblemError(401, "the bearer token is invalid or revoked", headers=_challenge("invalid_token"))
        if scope not in principal.scopes:
            raise ProblemError(
                403,
                f"the token lacks the {scope!r} scope",
                headers=_challenge("insufficient_scope", scope),
            )
        return principal

    return dependency
