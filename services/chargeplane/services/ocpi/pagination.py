"""Paginated GET lists (transport chapter, "Pagination"): offset, limit, date_from
(inclusive), date_to (exclusive); X-Total-Count, X-Limit and a Link to the next page that
keeps the request's filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

from chargeplane.domain.ocpi.datetimes import as_utc, format_datetime

from .envelope import OcpiJSONResponse, ok
from .registration import base_url

MAX_OFFSET = 2_000_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int  # already capped at the server's maximum
    date_from: datetime | None
    date_to: datetime | None


def page_request(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="The offset of the first object returned.")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=MAX_OFFSET, description="The maximum number of objects.")] = None,
    date_from: Annotated[
        datetime | None, Query(description="Only objects with last_updated at or after this time (inclusive).")
    ] = None,
    date_to: Annotated[
        datetime | None, Query(description="Only objects with last_updated before this time (exclusive).")
    ] = None,
) -> PageRequest:
    maximum: int = request.app.state.settings.ocpi_page_limit
    return PageRequest(
        offset=offset,
        limit=min(limit or maximum, maximum),
        date_from=as_utc(date_from) if date_from else None,
        date_to=as_utc(date_to) if date_to else None,
    )


Page = Annotated[PageRequest, Depends(page_request)]


def paged(request: Request, page: PageRequest, items: list[Any], total: int) -> OcpiJSONResponse:
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    next_offset = page.offset + len(items)
    if items and next_offset < total:
        query: dict[str, str] = {"offset": str(next_offset), "limit": str(page.limit)}
        if page.date_from is not None:
            query["date_from"] = format_datetime(page.date_from)
        if page.date_to is not None:
            query["date_to"] = format_datetime(page.date_to)
        url = f"{base_url(request.app.state.settings)}{request.url.path}?{urlencode(query)}"
        headers["Link"] = f'<{url}>; rel="next"'
    return ok(items, headers=headers)
