"""API tokens: the bearer tokens operators and their tools use against the REST and gRPC
API (`cpk_...`, scopes read/operate/admin). Not to be confused with id tokens (drivers'
RFID cards and eMAIDs), which belong to the auth service."""

from .bootstrap import ensure_bootstrap_token
from .store import TokenInfo, create_token, list_tokens, new_token, revoke_token
from .verifier import SCOPES, Principal, TokenVerifier, token_hash

__all__ = [
    "SCOPES",
    "Principal",
    "TokenInfo",
    "TokenVerifier",
    "create_token",
    "ensure_bootstrap_token",
    "list_tokens",
    "new_token",
    "revoke_token",
    "token_hash",
]
