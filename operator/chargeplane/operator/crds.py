"""The single source of truth for chargeplane's CustomResourceDefinitions.

`python -m chargeplane.operator.crdgen` renders these into manifests/crds/ and into the
Helm chart; a test fails when either copy drifts from what this module returns.
"""

from __future__ import annotations

from typing import Any

from chargeplane.operator import resources as r
from chargeplane.operator.schema import (
    Schema,
    array,
    boolean,
    conditions,
    integer,
    local_ref,
    number,
    obj,
    observed_generation,
    rule,
    string,
    string_map,
)
from chargeplane.operator.schema import (
    resources as compute_resources,
)

Crd = dict[str, Any]

_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"  # a DNS-1123 label: usable in child names and URLs
# OCPP identities travel in the URL path and in Basic auth usernames; this is the set of
# characters OCPP 2.0.1 (identifierString) allows, capped at 48 as the security spec does.
_IDENTITY_PATTERN = r"^[A-Za-z0-9*\-_=:+|@.]{1,48}$"
_READY = '.status.conditions[?(@.type=="Ready")].status'
_REASON = '.status.conditions[?(@.type=="Ready")].reason'


def _column(name: str, type_: str, path: str, description: str, priority: int = 0) -> dict[str, Any]:
    col: dict[str, Any] = {"name": name, "type": type_, "jsonPath": path, "description": description}
    if priority:
        col["priority"] = priority
    return col


def _age() -> dict[str, Any]:
    return _column("Age", "date", ".metadata.creationTimestamp", "Time since creation.")


def _crd(
    *,
    kind: str,
    plural: str,
    singular: str,
    short_names: list[str],
    description: str,
    spec: Schema,
    status: Schema,
    columns: list[dict[str, Any]],
    root_rules: list[Schema] | None = None,
) -> Crd:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{r.GROUP}",
            "labels": {"app.kubernetes.io/name": "chargeplane", "app.kubernetes.io/part-of": r.PART_OF},
        },
        "spec": {
            "group": r.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": singular,
                "shortNames": short_names,
                "categories": [r.CATEGORY],
            },
            "versions": [
                {
                    "name": r.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": obj(
                            description,
                            {
                                "apiVersion": string("API version of this object, chargeplane.io/v1alpha1."),
                                "kind": string(f"Kind of this object, {kind}."),
                                "metadata": {"type": "object", "description": "Standard object metadata."},
                                "spec": spec,
                                "status": status,
                            },
                            required=["spec"],
                            rules=root_rules,
                        )
                    },
                }
            ],
        },
    }


def _address() -> Schema:
    return obj(
        "Postal address and coordinates, as published in an OCPI Location.",
        {
            "street": string("Street and number.", maxLength=45),
            "city": string("City or town.", maxLength=45),
            "postalCode": string("Postal code.", maxLength=10),
            "country": string("ISO 3166-1 alpha-3 country code, e.g. NLD.", pattern="^[A-Z]{3}$"),
            "timeZone": string("IANA time zone, e.g. Europe/Amsterdam.", maxLength=64),
            "coordinates": obj(
                "WGS 84 coordinates of the site.",
                {
                    "latitude": number("Latitude in degrees.", minimum=-90, maximum=90),
                    "longitude": number("Longitude in degrees.", minimum=-180, maximum=180),
                },
                required=["latitude", "longitude"],
            ),
        },
    )


def _grid() -> Schema:
    return obj(
        "The site's grid connection: what the smart-charging service must keep the site under.",
        {
            "maxCurrentA": number("Limit per phase in amperes.", exclusiveMinimum=True, minimum=0, maximum=10000),
            "maxPowerKw": number("Limit in kilowatts.", exclusiveMinimum=True, minimum=0, maximum=100000),
            "phases": integer("Number of phases of the connection.", enum=[1, 3], default=3),
            "voltageV": number("Nominal phase-to-neutral voltage.", minimum=100, maximum=1000, default=230),
        },
        rules=[rule("has(self.maxCurrentA) || has(self.maxPowerKw)", "set maxCurrentA or maxPowerKw (or both)")],
    )


def _smart_charging() -> Schema:
    return obj(
        "How the site's load is shared among its charge points.",
        {
            "strategy": string(
                "Off: no site limit; Static: divide the limit evenly; Dynamic: follow live load.",
                enum=["Off", "Static", "Dynamic"],
                default="Static",
            ),
            "safetyMarginPercent": integer(
                "Share of the grid limit kept in reserve.", minimum=0, maximum=50, default=5
            ),
        },
    )


def _gateway_policy() -> Schema:
    return obj(
        "How the site's OCPP gateway shards are sized.",
        {
            "connectionsPerShard": integer(
                "Charge points one gateway pod holds before another shard is added.",
                minimum=1,
                maximum=50000,
                default=2000,
            ),
            "minShards": integer("Fewest gateway pods, even with no charge points.", minimum=0, maximum=100, default=1),
            "maxShards": integer("Most gateway pods.", minimum=1, maximum=100, default=10),
            "resources": compute_resources("Compute resources of each gateway pod."),
            "ingress": boolean("Publish /ocpp/<site>/ through the control plane's Ingress.", default=True),
        },
        rules=[rule("self.minShards <= self.maxShards", "minShards must not exceed maxShards")],
        default={},
    )


def charging_site() -> Crd:
    spec = obj(
        "Desired state of a physical charging site.",
        {
            "controlPlaneRef": string(
                "Name of the ControlPlane (same namespace) whose image, storage and ingress this site uses.",
                pattern=_NAME_PATTERN,
                default="chargeplane",
            ),
            "displayName": string("Human-readable site name.", maxLength=255),
            "address": _address(),
            "gridConnection": _grid(),
            "smartCharging": _smart_charging(),
            "tariffRef": string("Identifier of the default tariff for this site.", maxLength=36),
            "gateway": _gateway_policy(),
        },
        required=["gridConnection"],
    )
    status = obj(
        "Observed state of the site, written by the operator.",
        {
            "observedGeneration": observed_generation(),
            "chargePoints": integer("ChargePoints that reference this site.", minimum=0),
            "connected": integer("Of those, currently connected to a gateway.", minimum=0),
            "charging": integer("Of those, with at least one connector charging.", minimum=0),
            "shards": integer("Gateway pods wanted for the current charge point count.", minimum=0),
            "shardsReady": integer("Gateway pods ready.", minimum=0),
            "limitKw": number("Effective site limit handed to smart charging, after the safety margin."),
            "ocppUrl": string("Where this site's chargers connect, e.g. wss://host/ocpp/<site>/<cpId>."),
            "conditions": conditions(),
        },
    )
    columns = [
        _column("Ready", "string", _READY, "Whether the site's gateway is serving."),
        _column("Charge Points", "integer", ".status.chargePoints", "ChargePoints referencing the site."),
        _column("Connected", "integer", ".status.connected", "Connected charge points."),
        _column("Charging", "integer", ".status.charging", "Charge points charging now."),
        _column("Shards", "integer", ".status.shards", "Wanted gateway pods."),
        _column("Shards Ready", "integer", ".status.shardsReady", "Ready gateway pods.", priority=1),
        _column("Limit kW", "number", ".status.limitKw", "Effective site limit.", priority=1),
        _column("Reason", "string", _REASON, "Why the site is (not) ready.", priority=1),
        _age(),
    ]
    return _crd(
        kind="ChargingSite",
        plural=r.SITE_PLURAL,
        singular="chargingsite",
        short_names=["csite", "chgsite"],
        # Child names append up to "-gateway-pods"; a StatefulSet's pods also carry a
        # "<name>-<hash>" revision label, which must fit in 63 characters.
        root_rules=[rule("size(self.metadata.name) <= 40", "ChargingSite names are at most 40 characters")],
        description="A physical charging site: its grid limit, smart charging and the gateway shards its chargers use.",
        spec=spec,
        status=status,
        columns=columns,
    )


def _connector() -> Schema:
    return obj(
        "One connector (plug or socket) of an EVSE.",
        {
            "id": integer("Connector id, from 1 within its EVSE.", minimum=1, maximum=16),
            "type": string(
                "Connector type (OCPP 2.0.1 ConnectorEnumType subset).",
                enum=["cType2", "sType2", "cCCS1", "cCCS2", "cCHAdeMO", "cG105", "cTesla", "cType1", "Other"],
            ),
            "maxPowerKw": number("Maximum power of this connector.", exclusiveMinimum=True, minimum=0, maximum=1000),
        },
        required=["id"],
    )


def _evse() -> Schema:
    return obj(
        "An EVSE: the part of a charger that can charge one vehicle at a time.",
        {
            "id": integer("EVSE id, from 1 (OCPP 1.6 connector ids map to EVSE ids).", minimum=1, maximum=64),
            "maxPowerKw": number("Maximum power of this EVSE.", exclusiveMinimum=True, minimum=0, maximum=1000),
            "connectors": array(
                "Connectors of this EVSE.",
                _connector(),
                minItems=1,
                maxItems=16,
                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"]},
            ),
        },
        required=["id"],
        rules=[
            rule(
                "!has(self.maxPowerKw) || !has(self.connectors) || "
                "self.connectors.all(c, !has(c.maxPowerKw) || c.maxPowerKw <= self.maxPowerKw)",
                "a connector's maxPowerKw must not exceed its EVSE's maxPowerKw",
            )
        ],
    )


def _variable() -> Schema:
    return obj(
        "One OCPP 2.0.1 device-model variable to set (SetVariables).",
        {
            "component": string("Component name, e.g. OCPPCommCtrlr.", minLength=1, maxLength=50),
            "evseId": integer("EVSE of the component instance, if any.", minimum=1),
            "variable": string("Variable name, e.g. HeartbeatInterval.", minLength=1, maxLength=50),
            "attribute": string("Attribute type.", enum=["Actual", "Target", "MinSet", "MaxSet"], default="Actual"),
            "value": string("Value to set.", maxLength=1000),
        },
        required=["component", "variable", "value"],
    )


def _configuration() -> Schema:
    return obj(
        "Desired configuration, pushed to the charger when it connects.",
        {
            "ocpp16": string_map(
                "OCPP 1.6 configuration keys (ChangeConfiguration), e.g. HeartbeatInterval: '300'.",
                "Value of the key (OCPP 1.6 values are strings, at most 500 characters).",
                maxProperties=200,
            ),
            "ocpp201": array("OCPP 2.0.1 variables (SetVariables).", _variable(), maxItems=200),
        },
    )


def _firmware() -> Schema:
    return obj(
        "Desired firmware; the charger is updated when it reports a different version.",
        {
            "version": string("Firmware version the charger should report.", minLength=1, maxLength=50),
            "location": string("URI the charger downloads the firmware from.", format="uri", maxLength=512),
            "installAfter": string("Do not install before this time.", format="date-time"),
        },
        required=["version", "location"],
    )


def charge_point() -> Crd:
    spec = obj(
        "Desired state of one charger.",
        {
            "siteRef": string(
                "Name of the ChargingSite (same namespace) this charger belongs to.", pattern=_NAME_PATTERN
            ),
            "identity": string(
                "The charger's OCPP identity (the last URL path segment and the Basic auth username); "
                "defaults to metadata.name. Immutable.",
                pattern=_IDENTITY_PATTERN,
            ),
            "ocppVersions": array(
                "OCPP versions the charger may connect with.",
                string("An OCPP WebSocket subprotocol.", enum=list(r.OCPP_VERSIONS)),
                minItems=1,
                default=list(r.OCPP_VERSIONS),
                **{"x-kubernetes-list-type": "set"},
            ),
            "securityProfile": integer(
                "OCPP security profile: 0 none (testing only), 1 Basic auth, 2 TLS + Basic auth, "
                "3 TLS client certificates.",
                minimum=0,
                maximum=3,
                default=2,
            ),
            "credentialsSecretRef": local_ref(
                "Secret with the Basic auth password (key `password`). Generated when absent for profiles 1 and 2."
            ),
            "evses": array(
                "EVSEs and their connectors.",
                _evse(),
                maxItems=64,
                **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"]},
            ),
            "configuration": _configuration(),
            "firmware": _firmware(),
        },
        required=["siteRef"],
        rules=[
            rule(
                "!has(oldSelf.identity) || (has(self.identity) && self.identity == oldSelf.identity)",
                "identity is immutable; create a new ChargePoint instead",
            ),
            rule(
                "!(self.securityProfile == 0 && has(self.credentialsSecretRef))",
                "securityProfile 0 has no password; remove credentialsSecretRef",
            ),
            rule(
                "!(has(self.configuration) && has(self.configuration.ocpp16)"
                " && !self.ocppVersions.exists(v, v == 'ocpp1.6'))",
                "configuration.ocpp16 needs ocpp1.6 in ocppVersions",
            ),
        ],
    )
    connector_state = obj(
        "Live state of one connector, as last reported by the charger.",
        {
            "evseId": integer("EVSE id.", minimum=0),
            "connectorId": integer("Connector id.", minimum=0),
            "status": string("Raw status (1.6 ChargePointStatus or 2.0.1 ConnectorStatusEnumType)."),
            "availability": string("Version-neutral state: Available, Occupied, Reserved, Unavailable, Faulted."),
            "errorCode": string("Error code, when reported."),
            "updatedAt": string("When the charger reported it.", format="date-time"),
        },
    )
    status = obj(
        "Observed state of the charger, mirrored from the live registry.",
        {
            "observedGeneration": observed_generation(),
            "registered": boolean("Whether the registry holds this charge point."),
            "connected": boolean("Whether a gateway holds the charger's WebSocket now."),
            "gateway": string("Gateway pod holding the connection (the shard)."),
            "protocol": string("OCPP version of the live or last connection."),
            "lastSeen": string("Last message from the charger.", format="date-time"),
            "lastBoot": string("Last BootNotification.", format="date-time"),
            "bootStatus": string("Answer to the last BootNotification: Accepted, Pending or Rejected."),
            "vendor": string("Vendor from the last BootNotification."),
            "model": string("Model from the last BootNotification."),
            "firmwareVersion": string("Firmware the charger reported."),
            "credentialsSecret": string("Secret holding the Basic auth password."),
            "connectors": array("Live connector states.", connector_state),
            "conditions": conditions(),
        },
    )
    columns = [
        _column("Site", "string", ".spec.siteRef", "ChargingSite of the charger."),
        _column("Protocol", "string", ".status.protocol", "OCPP version."),
        _column("Connected", "boolean", ".status.connected", "WebSocket up."),
        _column("Shard", "string", ".status.gateway", "Gateway pod holding the connection."),
        _column("Last Seen", "date", ".status.lastSeen", "Last message from the charger."),
        _column("Ready", "string", _READY, "Registered and usable.", priority=1),
        _column("Firmware", "string", ".status.firmwareVersion", "Reported firmware.", priority=1),
        _column("Reason", "string", _REASON, "Why it is (not) ready.", priority=1),
        _age(),
    ]
    return _crd(
        kind="ChargePoint",
        plural=r.CHARGEPOINT_PLURAL,
        singular="chargepoint",
        short_names=["cpt", "chgpt"],
        description="One EV charger: its identity, OCPP versions, security, EVSEs and desired configuration.",
        spec=spec,
        status=status,
        columns=columns,
    )


def _service(description: str, default_replicas: int) -> Schema:
    return obj(
        description,
        {
            "replicas": integer(
                "Pods of this service; 0 turns it off.", minimum=0, maximum=100, default=default_replicas
            ),
            "resources": compute_resources("Compute resources of each pod."),
        },
        default={},
    )


def control_plane() -> Crd:
    spec = obj(
        "Desired state of the shared chargeplane services of one installation.",
        {
            "image": obj(
                "The one image every component runs (entrypoint `chargeplane`).",
                {
                    "repository": string("Image repository.", minLength=1, default="ghcr.io/chargeplane/chargeplane"),
                    "tag": string("Image tag.", minLength=1, default="0.1.0"),
                    "pullPolicy": string(
                        "Image pull policy.", enum=["Always", "IfNotPresent", "Never"], default="IfNotPresent"
                    ),
                },
                default={},
            ),
            "imagePullSecrets": array("Secrets for pulling the image.", local_ref("A pull Secret."), maxItems=16),
            "serviceAccountName": string("ServiceAccount of the workloads.", maxLength=253),
            "postgres": obj(
                "PostgreSQL, the system of record.",
                {"urlSecretRef": local_ref("Secret key holding the PostgreSQL URL.", key=True, key_default="url")},
                required=["urlSecretRef"],
            ),
            "redis": obj(
                "Redis: connection registry, caches and event streams.",
                {"urlSecretRef": local_ref("Secret key holding the Redis URL.", key=True, key_default="url")},
                required=["urlSecretRef"],
            ),
            "bootPolicy": string(
                "dev accepts unknown chargers; production accepts only registered ones.",
                enum=["dev", "production"],
                default="production",
            ),
            "logLevel": string(
                "Log level of every component.", enum=["DEBUG", "INFO", "WARNING", "ERROR"], default="INFO"
            ),
            "ingress": obj(
                "Public HTTP(S) entry for chargers (/ocpp) and the REST API (/api).",
                {
                    "enabled": boolean("Create Ingress objects.", default=False),
                    "host": string("Public host name.", maxLength=253),
                    "className": string("IngressClass name.", maxLength=253),
                    "tlsSecretName": string("Secret with the TLS certificate; empty serves plain HTTP.", maxLength=253),
                    "annotations": string_map("Extra Ingress annotations.", "Annotation value."),
                },
                rules=[rule("!self.enabled || has(self.host)", "ingress.host is required when ingress is enabled")],
                default={},
            ),
            "registry": _service("The registry service (gRPC).", 1),
            "api": _service("The operator-facing REST API.", 1),
        },
        required=["postgres", "redis"],
    )
    status = obj(
        "Observed state of the shared services.",
        {
            "observedGeneration": observed_generation(),
            "registryAddress": string("host:port of the registry service inside the cluster."),
            "services": array(
                "Per service rollout state.",
                obj(
                    "One service Deployment.",
                    {
                        "name": string("Service name."),
                        "replicas": integer("Wanted pods.", minimum=0),
                        "readyReplicas": integer("Ready pods.", minimum=0),
                    },
                ),
            ),
            "conditions": conditions(),
        },
    )
    columns = [
        _column("Ready", "string", _READY, "All services ready."),
        _column("Image", "string", ".spec.image.tag", "Image tag."),
        _column("Registry", "string", ".status.registryAddress", "Registry address.", priority=1),
        _column("Reason", "string", _REASON, "Why it is (not) ready.", priority=1),
        _age(),
    ]
    return _crd(
        kind="ControlPlane",
        plural=r.CONTROLPLANE_PLURAL,
        singular="controlplane",
        short_names=["cplane"],
        description="The shared services of one chargeplane installation (registry, API), their image and storage.",
        spec=spec,
        status=status,
        columns=columns,
    )


def kopf_peering(*, clusterwide: bool) -> Crd:
    """kopf's own peering CRD (kopf.dev/v1), shipped so that several operator pods elect one."""
    kind = "ClusterKopfPeering" if clusterwide else "KopfPeering"
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.kopf.dev", "labels": {"app.kubernetes.io/part-of": r.PART_OF}},
        "spec": {
            "group": "kopf.dev",
            "scope": "Cluster" if clusterwide else "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "kopf operators' peering: which replicas are alive, with what priority.",
                            "properties": {
                                "status": {
                                    "type": "object",
                                    "description": "One entry per live operator pod, written by kopf.",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def all_crds() -> list[Crd]:
    return [control_plane(), charging_site(), charge_point()]


def peering_crds() -> list[Crd]:
    return [kopf_peering(clusterwide=False), kopf_peering(clusterwide=True)]
