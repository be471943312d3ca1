from __future__ import annotations

import pytest

from chargeplane.runtime.components import AllInOne


@pytest.fixture
def ocpp_url(allinone: AllInOne) -> str:
    return f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"
