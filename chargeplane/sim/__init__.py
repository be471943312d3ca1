"""Virtual chargers for demos and load tests (`chargeplane sim`).

The simulator holds thousands of OCPP 1.6J / 2.0.1 chargers in one asyncio process.
Each charger is one small slotted state object driven by callbacks from its socket and
by the event loop's shared timer heap: no task, no `ocpp.ChargePoint` and no
`websockets` connection object per charger (see `transport.py` for why).
"""

from chargeplane.sim.config import Scenario, SimConfig
from chargeplane.sim.engine import Simulation

__all__ = ["Scenario", "SimConfig", "Simulation"]
