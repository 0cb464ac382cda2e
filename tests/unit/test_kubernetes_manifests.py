"""deploy/kubernetes renders (kustomize) into objects that are valid and wired as intended.

Both overlays are rendered with ``kubectl kustomize`` and every object is validated offline
against the Kubernetes schemas that the kubernetes-validate package ships. Then what a schema
cannot see: every file path the shop is told to read is mounted in that container, probes
hit /healthz and /readyz, pods run non-root on a read-only root filesystem, no secret is in
the repository, and only the web tier (and ordering, by its gRPC policy) reaches module hosts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor the manifests promise to work on
PATH_SETTINGS = ("JWT_KEYS_DIR", "GRPC_PKI_DIR")

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None,
                                reason="kubectl (its built-in kustomize) is not installed")


def render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(OVERLAYS / overlay)], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: o["spec"]["template"]["spec"] for kind in ("Deployment", "Job")
            for name, o in by_kind(objects, kind).items()}


def environment(container: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, str]:
    maps = by_kind(objects, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]]["data"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


@pytest.fixture(scope="module", params=["single", "split"])
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def test_every_object_is_valid_against_the_kubernetes_schemas(
        rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _overlay, objects = rendered
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_every_file_the_shop_reads_is_mounted_in_its_container(
        rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _overlay, objects = rendered
    for name, spec in pod_specs(objects).items():
        volumes = {v["name"] for v in spec["volumes"]}
        for container in spec["containers"]:
            mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
            assert {m["name"] for m in container.get("volumeMounts", [])} <= volumes
            for key, value in environment(container, objects).items():
                if key.endswith("_FILE") or key in PATH_SETTINGS:
                    assert any(value == m or value.startswith(m + "/") for m in mounts), (
                        f"{name}: {key}={value} is not under a mounted volume {mounts}")


def test_pods_are_non_root_read_only_and_hold_no_api_token(
        rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _overlay, objects = rendered
    for name, spec in pod_specs(objects).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name
    assert not by_kind(objects, "Secret"), "secrets are created out of band, never rendered"


def test_the_web_tier_probes_scales_and_migrates_apart(
        rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _overlay, objects = rendered
    (web,) = by_kind(objects, "Deployment")["shop-web"]["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = environment(web, objects)
    assert env["SHOP_PROFILE"] == "production" and env["SHOP_MIGRATE_ON_START"] == "false"
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["shop-web"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "shop-web" and hpa["minReplicas"] >= 2
    (job,) = by_kind(objects, "Job")["shop-migrate"]["spec"]["template"]["spec"]["containers"]
    assert job["command"][-2:] == ["schema", "upgrade"]


def test_single_serves_every_module_in_the_web_pods() -> None:
    objects = render("single")
    assert set(by_kind(objects, "Deployment")) == {"shop-web"}
    (web,) = by_kind(objects, "Deployment")["shop-web"]["spec"]["template"]["spec"]["containers"]
    env = environment(web, objects)
    assert env.get("MODULE_TRANSPORT", "inprocess") == "inprocess"
    assert "FIELD_KEYS_ORDER_USER_FILE" in env and "FIELD_KEYS_TOTP_FILE" in env


def test_split_runs_each_module_host_with_its_own_certificate_and_keys() -> None:
    objects = render("split")
    deployments = by_kind(objects, "Deployment")
    assert set(deployments) == {"shop-web", "shop-identity", "shop-catalog", "shop-ordering"}
    spec = deployments["shop-web"]["spec"]["template"]["spec"]
    web_env = environment(spec["containers"][0], objects)
    assert web_env["MODULE_TRANSPORT"] == "grpc" and web_env["SHOP_MODULE_HOSTS"] == "external"
    assert not [k for k in web_env if k.startswith("FIELD_KEYS_")], "web holds no field keys"
    for module in ("web", "identity", "catalog", "ordering"):
        volumes = deployments[f"shop-{module}"]["spec"]["template"]["spec"]["volumes"]
        secrets = {v["secret"]["secretName"] for v in volumes if "secret" in v}
        assert f"shop-grpc-{module}" in secrets
        assert not {f"shop-grpc-{m}" for m in ("web", "identity", "catalog", "ordering")
                    if m != module} & secrets, f"{module} mounts another party's certificate"
    services = by_kind(objects, "Service")
    for module, port in (("identity", 50051), ("catalog", 50052), ("ordering", 50053)):
        assert web_env[f"{module.upper()}_GRPC_TARGET"] == f"shop-{module}:{port}"
        assert services[f"shop-{module}"]["spec"]["ports"][0]["port"] == port


def test_split_lets_only_the_web_tier_and_ordering_reach_module_hosts() -> None:
    objects = render("split")
    policies = by_kind(objects, "NetworkPolicy")
    deny = policies["shop-default-deny-ingress"]["spec"]
    assert deny["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "shop"}
    assert "ingress" not in deny

    def callers(module: str) -> set[str]:
        spec = policies[f"shop-{module}-ingress"]["spec"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == module
        return {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
                for rule in spec["ingress"] for peer in rule["from"]}

    assert callers("identity") == {"web", "ordering"}
    assert callers("catalog") == {"web", "ordering"}
    assert callers("ordering") == {"web"}
