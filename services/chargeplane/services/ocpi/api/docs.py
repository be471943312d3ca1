"""OpenAPI documentation shared by the routes: the error answers every endpoint may give."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.ocpi.models import ErrorEnvelope

_ERROR = {"model": ErrorEnvelope}

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "Invalid or missing parameters (OCPI 2001)."},
    401: {**_ERROR, "description": "Missing or unknown credentials token."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**_ERROR, "description": "No such object."}}
NOT_ALLOWED: dict[int | str, dict[str, Any]] = {405: {**_ERROR, "description": "Not allowed in this state."}}
