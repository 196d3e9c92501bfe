"""CI check of deploy/: render every overlay, validate it, and hold it to what `crs serve` really serves.

1. ``kustomize build`` (``.tools/bin/kustomize``, installed by scripts/setup.sh) of the base and each overlay.
2. Every built-in kind validated against the Kubernetes OpenAPI schemas with kubernetes-validate (strict; its
   schemas ship in the wheel, no network). Custom resources (CassandraDatacenter, PrometheusRule) get
   structural checks here, and every alert's runbook anchor must exist in docs/operations.md.
3. Consistency: container ports, env, probe ports and services, Service/NetworkPolicy port names and the
   Prometheus annotation agree with each other and with `crs serve`'s defaults; drain timing
   (terminationGracePeriodSeconds >= preStop + CRS_GRACE + margin); the security context; production has
   >= 3 replicas, maxUnavailable 0, a PodDisruptionBudget.
4. Live: `crs serve` started with the dev overlay's env (on free loopback ports) answers every probe's
   grpc.health.v1 service with SERVING, on the health port too, and serves the metrics path.

Usage: python scripts/check_deploy.py   (exit 1 and a list of problems on failure)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
KUSTOMIZE = ROOT / ".tools" / "bin" / "kustomize"
K8S_VERSION = "1.33.0"
TARGETS = ("deploy/base", "deploy/overlays/dev", "deploy/overlays/production")
CUSTOM_KINDS = {"CassandraDatacenter", "PrometheusRule"}
DRAIN_MARGIN_S = 5

sys.path.insert(0, str(ROOT / "python"))
problems: list[str] = []


def problem(where: str, what: str) -> None:
    problems.append(f"{where}: {what}")


def build(target: str) -> list[dict[str, Any]]:
    out = subprocess.run([str(KUSTOMIZE), "build", str(ROOT / target)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        problem(target, f"kustomize build failed: {out.stderr.strip()}")
        return []
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def serve_defaults() -> dict[str, Any]:
    """`crs serve`'s own defaults, read from its parser with no CRS_* variables set."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CRS_")}
    try:
        from crs.cli import build_parser

        args = build_parser().parse_args(["serve"])
    finally:
        os.environ.update(saved)
    return vars(args)


def validate(target: str, doc: dict[str, Any]) -> None:
    kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
    where = f"{target} {kind}/{name}"
    if kind in CUSTOM_KINDS:
        check_custom(where, doc)
        return
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        problem(where, f"schema: {e.message} at {'/'.join(str(p) for p in e.path)}")
    except Exception as e:  # unknown kind / version
        problem(where, f"schema: {type(e).__name__}: {e}")


def check_custom(where: str, doc: dict[str, Any]) -> None:
    spec = doc.get("spec") or {}
    if doc["kind"] == "CassandraDatacenter":
        racks = spec.get("racks") or []
        if len(racks) < 3 or spec.get("size", 0) < 3 or spec.get("size", 0) % len(racks):
            problem(where, "want >= 3 racks and a size that is a multiple of the rack count (RF=3, one per rack)")
        if spec.get("serverType") != "cassandra":
            problem(where, "serverType must be cassandra")
    if doc["kind"] == "PrometheusRule":
        ops = (ROOT / "docs" / "operations.md").read_text()
        anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", ops, re.M)}
        for group in spec.get("groups", []):
            for rule in group.get("rules", []):
                alert = rule.get("alert", "?")
                if not rule.get("expr"):
                    problem(where, f"{alert}: no expr")
                url = rule.get("annotations", {}).get("runbook_url", "")
                anchor = url.partition("#")[2]
                if not anchor or anchor not in anchors:
                    problem(where, f"{alert}: runbook_url {url!r} has no matching heading in docs/operations.md")


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: str(e.get("value", "")) for e in container.get("env", [])}


def _ports(container: dict[str, Any]) -> dict[str, int]:
    return {p["name"]: int(p["containerPort"]) for p in container.get("ports", [])}


def check_deployment(target: str, doc: dict[str, Any], defaults: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    where = f"{target} Deployment/{doc['metadata']['name']}"
    pod = doc["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "crs"]
    _check_ports(where, doc, container, defaults)
    _check_probes(where, container, defaults)
    _check_drain_and_security(where, pod, container, defaults)
    if target.endswith("production"):
        _check_production(target, where, doc, container, docs)
    _check_port_names(target, container, docs)


def _check_ports(where: str, doc: dict[str, Any], container: dict[str, Any], defaults: dict[str, Any]) -> None:
    env, ports = _env(container), _ports(container)
    grpc_port = int(env.get("CRS_PORT", defaults["port"]))
    metrics_port = int(env.get("CRS_METRICS_PORT", defaults["metrics_port"]))
    if grpc_port != defaults["port"] or ports.get("grpc") != grpc_port:
        problem(where, f"grpc port: env {grpc_port}, containerPort {ports.get('grpc')}, crs serve {defaults['port']}")
    if metrics_port != defaults["metrics_port"] or ports.get("metrics") != metrics_port:
        problem(where, f"metrics port: env {metrics_port}, containerPort {ports.get('metrics')}")
    annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
    wanted = {"prometheus.io/port": str(metrics_port), "prometheus.io/path": "/metrics"}
    if any(annotations.get(k) != v for k, v in wanted.items()):
        problem(where, "prometheus.io annotations do not match the metrics port and /metrics")


def _check_probes(where: str, container: dict[str, Any], defaults: dict[str, Any]) -> None:
    from crs.api.server import LIVENESS_SERVICE

    env = _env(container)
    grpc_port = int(env.get("CRS_PORT", defaults["port"]))
    health_port = int(env.get("CRS_HEALTH_PORT", defaults["health_port"])) or grpc_port
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(probe_name)
        if not probe or "grpc" not in probe:
            problem(where, f"{probe_name}: want a native gRPC probe")
            continue
        if probe["grpc"]["port"] != health_port:
            problem(where, f"{probe_name} port {probe['grpc']['port']} but health is served on {health_port}")
        if probe["grpc"].get("service", "") not in ("", LIVENESS_SERVICE):
            problem(where, f"{probe_name}: unknown health service {probe['grpc'].get('service')!r}")
    if container.get("livenessProbe", {}).get("grpc", {}).get("service") != LIVENESS_SERVICE:
        problem(where, f"livenessProbe must use the {LIVENESS_SERVICE!r} service (store health must not restart pods)")


def _check_drain_and_security(
    where: str, pod: dict[str, Any], container: dict[str, Any], defaults: dict[str, Any]
) -> None:
    grace = float(_env(container).get("CRS_GRACE", defaults["grace"]))
    grace += float(_env(container).get("CRS_DRAIN_DELAY", defaults["drain_delay"]))
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    if pre_stop < 1:
        problem(where, "want a preStop sleep so endpoints are removed before SIGTERM")
    if pod.get("terminationGracePeriodSeconds", 30) < pre_stop + grace + DRAIN_MARGIN_S:
        problem(where, f"terminationGracePeriodSeconds < preStop {pre_stop} + drain {grace} + {DRAIN_MARGIN_S}")
    sc, psc = container.get("securityContext", {}), pod.get("securityContext", {})
    if not (sc.get("readOnlyRootFilesystem") and "ALL" in sc.get("capabilities", {}).get("drop", [])):
        problem(where, "container securityContext: want readOnlyRootFilesystem and capabilities.drop [ALL]")
    if not (psc.get("runAsNonRoot") and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
        problem(where, "pod securityContext: want runAsNonRoot and seccomp RuntimeDefault")
    if not all(k in container.get("resources", {}) for k in ("requests", "limits")):
        problem(where, "want resource requests and limits")


def _check_production(
    target: str, where: str, doc: dict[str, Any], container: dict[str, Any], docs: list[dict[str, Any]]
) -> None:
    spec, env = doc["spec"], _env(container)
    if spec.get("replicas", 1) < 3:
        problem(where, "production wants >= 3 replicas")
    if spec.get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable") != 0:
        problem(where, "production wants rollingUpdate.maxUnavailable 0")
    kinds = {d["kind"] for d in docs}
    for kind in ("PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Job", "CassandraDatacenter"):
        if kind not in kinds:
            problem(target, f"production has no {kind}")
    if not env.get("CRS_TLS_CERT") or env.get("CRS_ALLOW_INSECURE") == "true":
        problem(where, "production serves TLS")
    _check_cql_security(where, doc["spec"]["template"]["spec"], container)
    for d in docs:
        if d["kind"] == "Job":
            pod = d["spec"]["template"]["spec"]
            _check_cql_security(f"{target} Job/{d['metadata']['name']}", pod, pod["containers"][0])
        if d["kind"] == "CassandraDatacenter":
            yaml_config = (d["spec"].get("config") or {}).get("cassandra-yaml") or {}
            cdc = f"{target} CassandraDatacenter/{d['metadata']['name']}"
            if yaml_config.get("authenticator") != "PasswordAuthenticator":
                problem(cdc, "production Cassandra wants authenticator PasswordAuthenticator")
            encryption = yaml_config.get("client_encryption_options") or {}
            if not encryption.get("enabled") or encryption.get("optional", False):
                problem(cdc, "production Cassandra wants client_encryption_options enabled and not optional")
            internode = yaml_config.get("server_encryption_options") or {}
            if (
                internode.get("internode_encryption") != "all"
                or internode.get("optional", True)
                or not internode.get("require_client_auth")
            ):
                problem(
                    cdc,
                    "production Cassandra wants server_encryption_options with internode_encryption all, optional "
                    "false and require_client_auth true (node-to-node traffic only over mutual TLS)",
                )


def _check_cql_security(where: str, pod: dict[str, Any], container: dict[str, Any]) -> None:
    """Production CQL clients log in over TLS, with every file they are given on a mounted volume."""
    names = {e["name"] for e in container.get("env", [])}
    if "CRS_CASSANDRA_USERNAME" not in names or not names & {"CRS_CASSANDRA_PASSWORD", "CRS_CASSANDRA_PASSWORD_FILE"}:
        problem(where, "production connects to Cassandra with a role: CRS_CASSANDRA_USERNAME and its password")
    if "CRS_CASSANDRA_TLS_CA" not in names:
        problem(where, "production connects to Cassandra over TLS: CRS_CASSANDRA_TLS_CA")
    mounts = [m["mountPath"].rstrip("/") + "/" for m in container.get("volumeMounts", [])]
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for m in container.get("volumeMounts", []):
        if m["name"] not in volumes:
            problem(where, f"volumeMount {m['name']} has no volume")
    for name, value in _env(container).items():
        if name.startswith("CRS_CASSANDRA_") and value.startswith("/") and not any(value.startswith(m) for m in mounts):
            problem(where, f"{name}={value} is on no mounted volume")


def _check_port_names(target: str, container: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    named = set(_ports(container))
    for d in docs:
        where = f"{target} {d['kind']}/{d['metadata']['name']}"
        if d["kind"] == "Service":
            for p in d["spec"]["ports"]:
                if isinstance(p.get("targetPort"), str) and p["targetPort"] not in named:
                    problem(where, f"targetPort {p['targetPort']} not a container port")
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "crs":
            for rule in d["spec"].get("ingress", []):
                for p in rule.get("ports", []):
                    if isinstance(p["port"], str) and p["port"] not in named:
                        problem(where, f"port {p['port']} not a container port")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def live_check(docs: list[dict[str, Any]]) -> None:
    """The dev overlay's env, on loopback and free ports, with a health port: every probe answers SERVING."""
    (deploy,) = [d for d in docs if d["kind"] == "Deployment"]
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    env = {k: v for k, v in _env(container).items() if not k.endswith("_FILE")}
    probe = ROOT / ".tools" / "bin" / "grpc-health-probe"
    with tempfile.TemporaryDirectory(prefix="crs-check-deploy-") as tmp:
        port, metrics, health = _free_port(), _free_port(), _free_port()
        env.update(
            CRS_HOST="127.0.0.1",
            CRS_PORT=str(port),
            CRS_METRICS_PORT=str(metrics),
            CRS_HEALTH_PORT=str(health),
            CRS_DATA_DIR=tmp,
            CRS_WORKERS="2",  # the supervisor path, as in the pod
            PROMETHEUS_MULTIPROC_DIR=f"{tmp}/metrics",  # not created beforehand, as in the pod's empty /tmp
        )
        full_env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRS_")}, **env}
        full_env["PYTHONPATH"] = str(ROOT / "python")
        proc = subprocess.Popen(
            [sys.executable, "-m", "crs", "serve", "--port-file", f"{tmp}/port"],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=open(f"{tmp}/log", "wb"),  # noqa: SIM115
        )
        try:
            deadline = time.monotonic() + 60
            while not Path(f"{tmp}/port").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    problem("live", f"crs serve did not start: {Path(f'{tmp}/log').read_text()[-2000:]}")
                    return
                time.sleep(0.1)
            for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                service = container[probe_name]["grpc"].get("service", "")
                for p in (port, health):
                    out = subprocess.run(
                        [str(probe), f"-addr=127.0.0.1:{p}", f"-service={service}", "-connect-timeout=5s"],
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if out.returncode != 0:
                        problem("live", f"{probe_name} service {service!r} on port {p}: {out.stdout}{out.stderr}")
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10) as resp:
                if b"crs_key_ids_in_use" not in resp.read():
                    problem("live", "/metrics lacks crs_key_ids_in_use")
        finally:
            proc.terminate()
            if proc.wait(timeout=60) != 0:
                problem("live", f"crs serve exited {proc.returncode} on SIGTERM")


def main() -> int:
    if not KUSTOMIZE.exists():
        print(f"check_deploy: {KUSTOMIZE} missing; run scripts/setup.sh", file=sys.stderr)
        return 1
    defaults = serve_defaults()
    rendered: dict[str, list[dict[str, Any]]] = {}
    for target in TARGETS:
        docs = rendered[target] = build(target)
        for doc in docs:
            validate(target, doc)
            if doc["kind"] == "Deployment":
                check_deployment(target, doc, defaults, docs)
        print(f"check_deploy: {target}: {len(docs)} objects")
    if rendered.get("deploy/overlays/dev"):
        live_check(rendered["deploy/overlays/dev"])
    if problems:
        print("check_deploy: FAILED", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"check_deploy: ok (Kubernetes {K8S_VERSION} schemas, ports, probes, drain timing, live probes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
