"""Pure builders: a resource in, the desired Kubernetes objects out. No API server involved."""

from __future__ import annotations

import base64
import copy
import string
from typing import Any

import kubernetes_validate
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.operator import chargepoints as cps
from chargeplane.operator import conditions, controlplanes, naming, sites
from chargeplane.pb.registry.v1 import registry_pb2 as pb

K8S_VERSIONS = ["1.30.0", "1.34.0"]


def _by_kind(examples: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in examples if d["kind"] == kind and name in (None, d["metadata"]["name"])))


@pytest.fixture
def site(examples: list[dict[str, Any]]) -> dict[str, Any]:
    return _by_kind(examples, "ChargingSite")


@pytest.fixture
def cplane(examples: list[dict[str, Any]]) -> dict[str, Any]:
    return _by_kind(examples, "ControlPlane")


@pytest.mark.parametrize(
    ("count", "per_shard", "lo", "hi", "want"),
    [(0, 2000, 1, 10, 1), (1, 2000, 1, 10, 1), (2000, 2000, 1, 10, 1), (2001, 2000, 1, 10, 2),
     (5, 1, 0, 3, 3), (0, 100, 0, 3, 0), (10_000, 2000, 2, 4, 4), (3, 1, 5, 9, 5)],
)  # fmt: skip
def test_desired_shards(count: int, per_shard: int, lo: int, hi: int, want: int) -> None:
    assert sites.desired_shards(count, per_shard, lo, hi) == want


def test_statefulset_scales_with_charge_points(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    site["spec"]["gateway"].update(connectionsPerShard=2, minShards=1, maxShards=3)
    assert [sites.statefulset(site, cplane, n)["spec"]["replicas"] for n in (0, 2, 3, 5, 100)] == [1, 1, 2, 3, 3]


def test_gateway_pods_are_addressable_and_configured(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    sts = sites.statefulset(site, cplane, 3)
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert sts["metadata"]["name"] == "depot-amsterdam-gateway"
    assert sts["spec"]["serviceName"] == "depot-amsterdam-gateway-pods"
    assert env["CHARGEPLANE_GATEWAY_GRPC_ADDRESS"]["value"] == (
        "$(CHARGEPLANE_POD_NAME).depot-amsterdam-gateway-pods.$(CHARGEPLANE_POD_NAMESPACE).svc:50052"
    )
    # $(VAR) only expands variables defined earlier in the list.
    names = [e["name"] for e in container["env"]]
    assert names.index("CHARGEPLANE_POD_NAME") < names.index("CHARGEPLANE_GATEWAY_GRPC_ADDRESS")
    assert env["CHARGEPLANE_POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["CHARGEPLANE_REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "chargeplane-redis", "key": "url"}
    assert "CHARGEPLANE_POSTGRES_URL" not in env  # the gateway never touches PostgreSQL
    assert env["CHARGEPLANE_REGISTRY_ADDRESS"]["value"] == "chargeplane-registry:50051"
    assert env["CHARGEPLANE_GATEWAY_PORT"]["value"] == "9000"
    assert env["CHARGEPLANE_GATEWAY_PUBLIC_URL"]["value"] == "wss://csms.example.com/ocpp/depot-amsterdam"
    assert container["args"] == ["serve", "gateway"]
    assert container["image"] == "ghcr.io/chargeplane/chargeplane:0.1.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ocpp"}
    assert container["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    selector = sts["spec"]["selector"]["matchLabels"]
    assert selector.items() <= sts["spec"]["template"]["metadata"]["labels"].items()
    assert "app.kubernetes.io/version" not in selector  # selectors are immutable


def test_services(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    headless = sites.headless_service(site, cplane)
    svc = sites.service(site, cplane)
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["ports"][0]["port"] == 50052
    assert svc["spec"]["ports"][0]["port"] == 9000
    assert headless["spec"]["selector"] == svc["spec"]["selector"]


def test_ingress_route_is_websocket_friendly(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    ing = sites.ingress(site, cplane)
    assert ing is not None
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == "csms.example.com"
    assert rule["http"]["paths"][0]["path"] == "/ocpp/depot-amsterdam"
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "depot-amsterdam-gateway"
    assert ing["spec"]["tls"] == [{"hosts": ["csms.example.com"], "secretName": "csms-example-com-tls"}]
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert int(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_no_ingress_without_one_in_the_control_plane(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    cplane["spec"]["ingress"]["enabled"] = False
    assert sites.ingress(site, cplane) is None
    assert sites.ocpp_url(site, cplane) == "ws://depot-amsterdam-gateway.chargeplane.svc:9000/ocpp/depot-amsterdam"
    assert [c["kind"] for c in sites.children(site, cplane, 1)] == [
        "ConfigMap", "Service", "Service", "StatefulSet", "PodDisruptionBudget",
    ]  # fmt: skip


def test_site_limit(site: dict[str, Any]) -> None:
    # min(250 kW, 400 A * 230 V * 3) = 250 kW, less a 10 % margin.
    assert sites.limit_kw(site) == 225.0
    site["spec"]["gridConnection"] = {"maxCurrentA": 32, "phases": 1, "voltageV": 230}
    site["spec"]["smartCharging"] = {"safetyMarginPercent": 0}
    assert sites.limit_kw(site) == 7.36
    site["spec"]["smartCharging"] = {"strategy": "Off"}
    assert sites.limit_kw(site) is None


def test_pdb_lets_one_shard_go_at_a_time(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    assert sites.pod_disruption_budget(site, cplane)["spec"]["maxUnavailable"] == 1


def test_builders_are_deterministic(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    assert sites.children(site, cplane, 7) == sites.children(copy.deepcopy(site), copy.deepcopy(cplane), 7)
    assert controlplanes.children(cplane) == controlplanes.children(copy.deepcopy(cplane))


def test_control_plane_services(cplane: dict[str, Any]) -> None:
    objs = {(o["kind"], o["metadata"]["name"]): o for o in controlplanes.children(cplane)}
    registry = objs["Deployment", "chargeplane-registry"]["spec"]
    api = objs["Deployment", "chargeplane-api"]["spec"]
    assert registry["replicas"] == 2
    reg_env = {e["name"] for e in registry["template"]["spec"]["containers"][0]["env"]}
    api_env = {e["name"] for e in api["template"]["spec"]["containers"][0]["env"]}
    assert {"CHARGEPLANE_POSTGRES_URL", "CHARGEPLANE_REDIS_URL", "CHARGEPLANE_GRPC_PORT"} <= reg_env
    assert "CHARGEPLANE_REDIS_URL" not in api_env and "CHARGEPLANE_API_PORT" in api_env
    assert registry["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"] == {"port": 50051}
    assert objs["Service", "chargeplane-registry"]["spec"]["ports"][0]["port"] == 50051
    assert objs["Service", "chargeplane-api"]["spec"]["ports"][0]["port"] == 8080
    ing = objs["Ingress", "chargeplane-api"]["spec"]
    assert ing["rules"][0]["http"]["paths"][0]["path"] == "/api"


def test_every_built_object_is_valid_kubernetes(site: dict[str, Any], cplane: dict[str, Any]) -> None:
    cp = {"metadata": {"name": "cp-1", "namespace": "chargeplane"}, "spec": {"siteRef": "depot-amsterdam"}}
    objs = [*sites.children(site, cplane, 3), *controlplanes.children(cplane), cps.credentials_secret(cp, "x" * 20)]
    for version in K8S_VERSIONS:
        for obj in objs:
            kubernetes_validate.validate(obj, version, strict=True)


def test_identity_and_registration(examples: list[dict[str, Any]]) -> None:
    dc = _by_kind(examples, "ChargePoint", "ams-dc-01")
    ac3 = _by_kind(examples, "ChargePoint", "ams-ac-03")
    assert cps.identity(dc) == "AMS-DC-01" and cps.identity(ac3) == "ams-ac-03"
    req = cps.upsert_request(dc)
    assert (req.charge_point_id, req.site, list(req.allowed_protocols)) == (
        "AMS-DC-01",
        "depot-amsterdam",
        ["ocpp2.0.1"],
    )
    assert list(cps.upsert_request({"metadata": {"name": "x"}, "spec": {}}).allowed_protocols) == [
        "ocpp1.6",
        "ocpp2.0.1",
    ]


def test_credentials(examples: list[dict[str, Any]]) -> None:
    ac2 = _by_kind(examples, "ChargePoint", "ams-ac-02")
    ac3 = _by_kind(examples, "ChargePoint", "ams-ac-03")
    assert not cps.needs_generated_secret(ac2) and cps.credentials_secret_name(ac2) == "ams-ac-02-password"
    assert cps.needs_generated_secret(ac3) and cps.credentials_secret_name(ac3) == "ams-ac-03-credentials"
    ac3["spec"]["securityProfile"] = 3
    assert not cps.needs_generated_secret(ac3) and cps.credentials_secret_name(ac3) is None
    secret = cps.credentials_secret(ac2, "p" * 16)
    assert base64.b64decode(secret["data"]["username"]).decode() == "AMS-AC-02"
    assert secret["metadata"]["name"] == naming.credentials("ams-ac-02")


def test_passwords_follow_ocpp_rules() -> None:
    passwords = {cps.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 32 and set(p) <= set(string.ascii_letters + string.digits) for p in passwords)
    assert len(cps.generate_password(16)) == 16 and len(cps.generate_password(40)) == 40
    for bad in (15, 41):
        with pytest.raises(ValueError, match="16-40"):
            cps.generate_password(bad)


def _ts(iso: str) -> Timestamp:
    ts = Timestamp()
    ts.FromJsonString(iso)
    return ts


def test_live_status_from_the_registry() -> None:
    found = pb.ChargePoint(
        id="AMS-DC-01",
        registered=True,
        protocol="ocpp2.0.1",
        boot_status="Accepted",
        station=pb.StationInfo(vendor="ACME", model="DC150", firmware_version="2.4.1"),
        last_seen_at=_ts("2026-11-23T20:00:00Z"),
        connectors=[pb.ConnectorState(evse_id=1, connector_id=1, status="Occupied", availability="Occupied")],
        connection=pb.Connection(gateway="depot-amsterdam-gateway-1", protocol="ocpp2.0.1", epoch=3),
    )
    live = cps.live_status(found)
    assert live["connected"] is True and live["gateway"] == "depot-amsterdam-gateway-1"
    assert live["lastSeen"] == "2026-11-23T20:00:00Z" and live["lastBoot"] is None
    assert live["firmwareVersion"] == "2.4.1" and live["vendor"] == "ACME"
    assert live["connectors"] == [{"evseId": 1, "connectorId": 1, "status": "Occupied", "availability": "Occupied"}]
    assert cps.is_charging(live["connectors"])
    found.ClearField("connection")
    offline = cps.live_status(found)
    assert offline["connected"] is False and offline["gateway"] is None and offline["protocol"] == "ocpp2.0.1"
    assert cps.live_status(None)["registered"] is False


def test_events_for_notable_changes() -> None:
    up = {"connected": True, "gateway": "g-0", "protocol": "ocpp1.6", "bootStatus": "Accepted"}
    down = {"connected": False, "bootStatus": "Accepted"}
    assert [e.reason for e in cps.events(down, up)] == ["Connected"]
    assert [e.reason for e in cps.events(up, down)] == ["Disconnected"]
    assert cps.events(up, up) == []
    rejected = {**down, "bootStatus": "Rejected", "lastBoot": "2026-11-23T20:00:00Z"}
    assert [(e.type, e.reason) for e in cps.events(down, rejected)] == [("Warning", "BootRejected")]
    assert cps.events(rejected, rejected) == []
    again = {**rejected, "lastBoot": "2026-11-23T20:05:00Z"}
    assert [e.reason for e in cps.events(rejected, again)] == ["BootRejected"]


def test_status_conditions() -> None:
    live = cps.live_status(None)
    ready, connected = cps.status_conditions(live, generation=3, site_ok=True)
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "False", "NotRegistered")
    assert ready["observedGeneration"] == 3 and connected["status"] == "False"
    live = {"registered": True, "connected": True, "gateway": "g-1", "bootStatus": "Accepted"}
    conds = {c["type"]: c for c in cps.status_conditions(live, generation=None, site_ok=True)}
    assert conds["Ready"]["status"] == "True" and conds["Connected"]["status"] == "True"
    assert conds["Accepted"]["reason"] == "BootAccepted" and "observedGeneration" not in conds["Ready"]
    conds = {c["type"]: c for c in cps.status_conditions(live, generation=1, site_ok=False)}
    assert conds["Ready"]["reason"] == "SiteNotFound"


def test_conditions_keep_transition_time_until_status_flips() -> None:
    first = conditions.merge([], [conditions.make("Ready", False, "Waiting", generation=1)])
    first[0]["lastTransitionTime"] = "2026-01-01T00:00:00Z"
    same = conditions.merge(first, [conditions.make("Ready", False, "StillWaiting", generation=2)])
    assert same[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z" and same[0]["reason"] == "StillWaiting"
    flipped = conditions.merge(same, [conditions.make("Ready", True, "Done", generation=2)])
    assert flipped[0]["lastTransitionTime"] != "2026-01-01T00:00:00Z"
    both = conditions.merge(flipped, [conditions.make("Connected", None, "Unknown", generation=2)])
    assert [c["type"] for c in both] == ["Connected", "Ready"] and both[0]["status"] == "Unknown"
