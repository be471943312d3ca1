"""Names the operator, the CRDs, the chart and the tests agree on."""

from __future__ import annotations

from typing import Final

GROUP: Final = "chargeplane.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
CATEGORY: Final = "chargeplane"

SITE_PLURAL: Final = "chargingsites"
CHARGEPOINT_PLURAL: Final = "chargepoints"
CONTROLPLANE_PLURAL: Final = "controlplanes"

# kopf's finalizer on our resources: a ChargePoint's delete waits until the registry has forgotten
# the charger, and kopf stops a resource's status daemon before the resource goes away.
FINALIZER: Final = f"operator.{GROUP}/cleanup"

# Labels every child carries (app.kubernetes.io/* is what dashboards and `kubectl -l` expect).
PART_OF: Final = "chargeplane"
MANAGED_BY: Final = "chargeplane-operator"
SITE_LABEL: Final = f"{GROUP}/site"
COMPONENT_LABEL: Final = "app.kubernetes.io/component"

# Ports of the processes (DESIGN.md §1; the gateway serves OCPP + probes + metrics on one port).
GATEWAY_OCPP_PORT: Final = 9000
GATEWAY_GRPC_PORT: Final = 50052
SERVICE_GRPC_PORT: Final = 50051
API_HTTP_PORT: Final = 8080

# OCPP 2.0.1 security profile 1/2: BasicAuthPassword is 16 to 40 characters.
PASSWORD_MIN: Final = 16
PASSWORD_MAX: Final = 40

OCPP_VERSIONS: Final = ("ocpp1.6", "ocpp2.0.1")
