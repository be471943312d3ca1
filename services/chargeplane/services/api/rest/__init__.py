"""The operator-facing REST API (FastAPI): `app` builds it; one `*_routes` module per
resource; RFC 9457 problem details, bearer auth and request middleware beside them."""

from .app import create_app

__all__ = ["create_app"]
