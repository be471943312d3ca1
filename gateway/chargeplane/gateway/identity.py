"""The charger identity in the connection URL: /ocpp/<cpId> or /ocpp/<site>/<cpId>."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

MAX_IDENTITY = 48  # OCPP-J 2.0.1 Part 4 §3.1.1 (identifierString[48], no ':')
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Identity:
    cp_id: str
    site: str | None


class BadPath(ValueError):
    """The URL is under /ocpp/ but does not name a valid charger."""


def parse_path(path: str) -> Identity | None:
    """The identity in `path`; None if the path is not an OCPP endpoint at all.

    Raises BadPath for an OCPP path with an invalid identity or site.
    """
    parts = path.split("?", 1)[0].split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "ocpp":
        return None
    if len(parts) > 4:
        raise BadPath("expected /ocpp/<chargePointId> or /ocpp/<site>/<chargePointId>")
    cp_id = unquote(parts[-1], errors="strict")
    if not cp_id:
        raise BadPath("the charge point identity is empty")
    if len(cp_id) > MAX_IDENTITY:
        raise BadPath(f"the charge point identity is longer than {MAX_IDENTITY} characters")
    if ":" in cp_id or "/" in cp_id or not cp_id.isprintable():
        raise BadPath("the charge point identity contains ':', '/' or unprintable characters")
    site = None
    if len(parts) == 4:
        site = unquote(parts[2], errors="strict")
        if not _SITE.match(site):
            raise BadPath("the site must be 1-63 characters of letters, digits, '.', '_' or '-'")
    return Identity(cp_id=cp_id, site=site)
