"""The charger identity in the URL (OCPP-J 2.0.1 Part 4 §3.1.1)."""

import pytest

from chargeplane.gateway.identity import BadPath, Identity, parse_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ocpp/CP-1", Identity("CP-1", None)),
        ("/ocpp/site-a/CP-1", Identity("CP-1", "site-a")),
        ("/ocpp/RDAM%20123", Identity("RDAM 123", None)),
        ("/ocpp/CP-1?foo=bar", Identity("CP-1", None)),
        ("/ocpp/" + "x" * 48, Identity("x" * 48, None)),
    ],
)
def test_valid_paths(path: str, expected: Identity) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize("path", ["/", "/metrics", "/other/CP-1", "/ocpp"])
def test_not_an_ocpp_path(path: str) -> None:
    assert parse_path(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "/ocpp/",
        "/ocpp/" + "x" * 49,
        "/ocpp/CP:1",
        "/ocpp/CP%3A1",
        "/ocpp/a%2Fb",
        "/ocpp/a/b/c",
        "/ocpp/bad site/CP-1",
        "/ocpp/CP%0A1",
    ],
)
def test_bad_paths(path: str) -> None:
    with pytest.raises(BadPath):
        parse_path(path)
