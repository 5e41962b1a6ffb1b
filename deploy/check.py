#!/usr/bin/python3
"""Checks that deploy/ deploys: the Kubernetes manifests, the Dockerfile, the
systemd unit and install.sh agree with each other and with rapportd.

usage: deploy/check.py [--rapportd PATH] [--rapport PATH] [--install-test] [--no-static]

Without options it checks the files alone: every manifest parses and has a
known kind and apiVersion; the StatefulSet's selector, Service, probes,
volumes and mounts fit together; the ConfigMap's rapportd.yaml sets
grpc.listen, http.listen and data_dir to what the StatefulSet declares and
names only Secret files that the Secret holds (and the Secret holds nothing
else); the Dockerfile is multi-stage on bookworm, runs as a numeric non-root
user (the StatefulSet's runAsUser), keeps the data directory on a VOLUME,
exposes both ports, has a HEALTHCHECK for /readyz's readiness run by a
program the image has, and copies binaries that are build targets; the
systemd unit has the hardening settings and starts rapportd with
--config=/etc/rapport/rapportd.yaml.

--rapportd PATH      also: the ConfigMap's rapportd.yaml and the image's
                     rendered configuration pass `rapportd --check-config`
                     (with the Secret's values written to a temporary directory
                     where the files are named); every flag in the Dockerfile,
                     the StatefulSet and the unit is one of rapportd's;
                     `systemd-analyze verify` and `security --offline` on the
                     unit when systemd-analyze is there.
--rapport PATH       with --install-test: the CLI to install.
--install-test       runs deploy/install.sh into a temporary --root and checks
                     what landed, then starts the installed rapportd with the
                     installed configuration (on free ports, a temporary store)
                     and asks it `rapport health` and GET /readyz.
--no-static          skips the checks of the files (for --install-test alone).

`kubectl kustomize deploy/kubernetes` is run when kubectl is on PATH (it needs
no cluster); the result is checked like the files. Exit 0 when all is well,
1 with every problem listed.
"""

import argparse
import base64
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("deploy/check.py needs PyYAML (Debian: apt-get install python3-yaml)")

DEPLOY = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(DEPLOY)
K8S = os.path.join(DEPLOY, "kubernetes")

GRPC_PORT = 50051
HTTP_PORT = 8080
# The volume (VOLUME, the claim's mount, StateDirectory) and the store inside
# it: a rebuild writes <data_dir>.rebuild beside the store and swaps it in by
# rename, which a mount point cannot take and a read-only parent refuses.
STATE_DIR = "/var/lib/rapport"
DATA_DIR = STATE_DIR + "/store"
CONFIG_PATH = "/etc/rapport/rapportd.yaml"

KNOWN_KINDS = {
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "StatefulSet": "apps/v1",
}

# Unit settings that must be present, with the value each must have (None:
# any value, "" : empty).
UNIT_HARDENING = {
    "User": "rapport",
    "ProtectSystem": "strict",
    "NoNewPrivileges": "true",
    "StateDirectory": "rapport",
    "ProtectHome": "true",
    "PrivateTmp": "true",
    "PrivateDevices": "true",
    "ProtectKernelTunables": "true",
    "ProtectKernelModules": "true",
    "ProtectControlGroups": "true",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "true",
    "LockPersonality": "true",
    "MemoryDenyWriteExecute": "true",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


class Checker:
    def __init__(self):
        self.problems = []

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def ok(self, text):
        print(f"ok: {text}")

    def note(self, text):
        print(f"note: {text}")


def rel(path):
    return os.path.relpath(path, REPO)


# --------------------------------------------------------------- rapportd


def rapportd_flags(rapportd):
    """The flags that server/main.cc defines, as rapportd --helpfull lists
    them (--help lists none: absl matches it against the program's name)."""
    out = subprocess.run([rapportd, "--helpfull"], capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    flags = set()
    section = None
    for line in text.splitlines():
        m = re.match(r"\s*Flags from (.*):\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"\s+--([a-z0-9_]+) \(", line)
        if m and section and section.endswith("server/main.cc"):
            flags.add(m.group(1))
    return flags


def flag_names(args):
    """--data-dir=X, --data_dir X, --nosync -> data_dir, sync."""
    names = []
    for a in args:
        if a.startswith("--") and len(a) > 2:
            names.append(a[2:].split("=", 1)[0].replace("-", "_"))
    return names


def check_flags(c, where, args, flags):
    for name in flag_names(args):
        if name not in flags and not (name.startswith("no") and name[2:] in flags):
            c.problem(where, f"--{name} is not a rapportd flag (rapportd --helpfull)")


def check_config_file(c, where, rapportd, path):
    out = subprocess.run([rapportd, "--check-config", f"--config={path}"], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        c.problem(where, f"rapportd --check-config refused it: {(out.stderr or out.stdout).strip()}")
        return False
    return True


# ------------------------------------------------------------- Kubernetes


def load_manifests(c, directory):
    """{kind: [doc, ...]} of every *.yaml but kustomization.yaml."""
    docs = {}
    names = sorted(f for f in os.listdir(directory) if f.endswith((".yaml", ".yml")))
    for name in names:
        if name in ("kustomization.yaml", "kustomization.yml"):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path) as f:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            c.problem(rel(path), f"does not parse: {e}")
            continue
        for d in loaded:
            d["__file__"] = rel(path)
            docs.setdefault(d.get("kind"), []).append(d)
    return docs, names


def check_kinds(c, docs):
    for kind, items in docs.items():
        for d in items:
            where = d["__file__"]
            if kind not in KNOWN_KINDS:
                c.problem(where, f"unexpected kind {kind!r} (expected one of {', '.join(sorted(KNOWN_KINDS))})")
                continue
            if d.get("apiVersion") != KNOWN_KINDS[kind]:
                c.problem(where, f"{kind} has apiVersion {d.get('apiVersion')!r}, expected {KNOWN_KINDS[kind]!r}")
            if not (d.get("metadata") or {}).get("name"):
                c.problem(where, f"{kind} has no metadata.name")
    for kind in KNOWN_KINDS:
        if kind not in docs:
            c.problem(rel(K8S), f"no {kind}")


def check_kustomization(c, files):
    path = os.path.join(K8S, "kustomization.yaml")
    if not os.path.exists(path):
        c.problem(rel(K8S), "no kustomization.yaml")
        return
    with open(path) as f:
        k = yaml.safe_load(f) or {}
    if k.get("apiVersion") != "kustomize.config.k8s.io/v1beta1" or k.get("kind") != "Kustomization":
        c.problem(rel(path), "expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization")
    listed = set(k.get("resources") or [])
    present = {f for f in files if f not in ("kustomization.yaml", "kustomization.yml")}
    for f in sorted(listed - present):
        c.problem(rel(path), f"lists {f}, which does not exist")
    for f in sorted(present - listed):
        c.problem(rel(path), f"does not list {f}")


def port_matches(port, container_ports):
    """A probe's or Service's port (a name or a number) against the
    container's declared ports; returns the number or None."""
    for p in container_ports:
        if port == p.get("name") or port == p.get("containerPort"):
            return p.get("containerPort")
    return None


def listen_port(where, c, value):
    m = re.match(r"^(?:\[[^\]]*\]|[^:]*):(\d+)$", str(value or ""))
    if not m:
        c.problem(where, f"{value!r} is not host:port")
        return None
    return int(m.group(1))


def webhook_files(config):
    """[(setting, path)] of every secret_file / token_file / hash_file in rapportd.yaml."""
    found = []
    for tenant, settings in ((config or {}).get("tenants") or {}).items():
        for adapter, creds in ((settings or {}).get("webhooks") or {}).items():
            for key, value in (creds or {}).items():
                if key.endswith("_file"):
                    for v in value if isinstance(value, list) else [value]:
                        found.append((f"tenants.{tenant}.webhooks.{adapter}.{key}", str(v)))
        for i, entry in enumerate((settings or {}).get("keys") or []):
            if "hash_file" in (entry or {}):
                found.append((f"tenants.{tenant}.keys[{i}].hash_file", str(entry["hash_file"])))
    return found


def check_kubernetes(c, docs, rapportd, flags, label="kubernetes"):
    one = lambda kind: (docs.get(kind) or [None])[0]  # noqa: E731
    sts, svc_list = one("StatefulSet"), docs.get("Service") or []
    cm, secret = one("ConfigMap"), one("Secret")
    if sts is None:
        return {}
    where = sts["__file__"]
    spec = sts.get("spec") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector:
        c.problem(where, "StatefulSet has no spec.selector.matchLabels")
    for k, v in selector.items():
        if labels.get(k) != v:
            c.problem(where, f"selector {k}={v} does not match the template's labels {labels}")
    pod = template.get("spec") or {}
    containers = pod.get("containers") or []
    if len(containers) != 1:
        c.problem(where, f"expected one container, found {len(containers)}")
        return {}
    ctr = containers[0]
    ports = ctr.get("ports") or []
    numbers = {p.get("containerPort") for p in ports}
    for n in (GRPC_PORT, HTTP_PORT):
        if n not in numbers:
            c.problem(where, f"container port {n} is not declared")

    # The governing Service.
    service_name = spec.get("serviceName")
    services = {(s.get("metadata") or {}).get("name"): s for s in svc_list}
    svc = services.get(service_name)
    if svc is None:
        c.problem(where, f"serviceName {service_name!r} names no Service (have {sorted(services)})")
    else:
        sw = svc["__file__"]
        ssel = (svc.get("spec") or {}).get("selector") or {}
        if not ssel or any(labels.get(k) != v for k, v in ssel.items()):
            c.problem(sw, f"Service selector {ssel} does not select the StatefulSet's pods ({labels})")
        exposed = set()
        for p in (svc.get("spec") or {}).get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            number = port_matches(target, ports)
            if number is None:
                c.problem(sw, f"Service port {p.get('name') or p.get('port')} targets {target!r}, "
                              "which the container does not declare")
            exposed.add(number)
        for n in (GRPC_PORT, HTTP_PORT):
            if n not in exposed:
                c.problem(sw, f"the Service does not expose container port {n}")

    # Probes.
    def probe_port(name):
        probe = ctr.get(name)
        if not probe:
            return None, None
        if "httpGet" in probe:
            port = probe["httpGet"].get("port")
            if port_matches(port, ports) is None:
                c.problem(where, f"{name} port {port!r} is not a declared container port")
            return "http", (probe["httpGet"].get("path"), port_matches(port, ports))
        if "grpc" in probe:
            port = probe["grpc"].get("port")
            if port_matches(port, ports) is None:
                c.problem(where, f"{name} gRPC port {port!r} is not a declared container port")
            return "grpc", (None, port_matches(port, ports))
        c.problem(where, f"{name} is neither httpGet nor grpc")
        return None, None

    kind, target = probe_port("readinessProbe")
    if kind != "http" or target != ("/readyz", HTTP_PORT):
        c.problem(where, f"readinessProbe must be httpGet /readyz on the http port {HTTP_PORT}, is {kind} {target}")
    kind, target = probe_port("livenessProbe")
    if not ((kind == "http" and target == ("/healthz", HTTP_PORT)) or (kind == "grpc" and target[1] == GRPC_PORT)):
        c.problem(where, f"livenessProbe must be httpGet /healthz on {HTTP_PORT} or grpc on {GRPC_PORT}, is {kind} {target}")
    if ctr.get("startupProbe"):
        probe_port("startupProbe")

    # Pod settings.
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True:
        c.problem(where, "securityContext.runAsNonRoot must be true")
    if not psc.get("fsGroup"):
        c.problem(where, "securityContext.fsGroup is not set (the volume would not be writable)")
    if not isinstance(pod.get("terminationGracePeriodSeconds"), int) or pod["terminationGracePeriodSeconds"] < 15:
        c.problem(where, "terminationGracePeriodSeconds must be set, at least 15 (rapportd drains within 10 s)")
    res = ctr.get("resources") or {}
    if not (res.get("requests") or {}).get("memory") or not (res.get("limits") or {}).get("memory"):
        c.problem(where, "resources must set requests and limits of memory")

    # Volumes and mounts.
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    claims = {(t.get("metadata") or {}).get("name") for t in spec.get("volumeClaimTemplates") or []}
    if not claims:
        c.problem(where, "no volumeClaimTemplates (the store needs a PersistentVolume)")
    mounts = {}
    for m in ctr.get("volumeMounts") or []:
        name = m.get("name")
        if name not in volumes and name not in claims:
            c.problem(where, f"volumeMount {name!r} names no volume and no claim template")
        mounts[m.get("mountPath")] = name
    for name, v in volumes.items():
        if "configMap" in v:
            ref = v["configMap"].get("name")
            if ref not in {(d.get("metadata") or {}).get("name") for d in docs.get("ConfigMap") or []}:
                c.problem(where, f"volume {name!r} names ConfigMap {ref!r}, which is not declared")
        if "secret" in v:
            ref = v["secret"].get("secretName")
            if ref not in {(d.get("metadata") or {}).get("name") for d in docs.get("Secret") or []}:
                c.problem(where, f"volume {name!r} names Secret {ref!r}, which is not declared")
    if mounts.get(STATE_DIR) not in claims:
        c.problem(where, f"{STATE_DIR} is not mounted from a volumeClaimTemplate")

    # The container's arguments: --config in the ConfigMap's mount.
    args = list(ctr.get("command") or []) + list(ctr.get("args") or [])
    if f"--config={CONFIG_PATH}" not in args:
        c.problem(where, f"container args must include --config={CONFIG_PATH}, are {args}")
    if flags is not None:
        check_flags(c, where, args, flags)
    cm_volume = volumes.get(mounts.get(os.path.dirname(CONFIG_PATH))) or {}
    if "configMap" not in cm_volume:
        c.problem(where, f"{os.path.dirname(CONFIG_PATH)} is not mounted from the ConfigMap")
    secret_mount = None
    for path, name in mounts.items():
        if "secret" in (volumes.get(name) or {}):
            secret_mount = path

    # The ConfigMap's rapportd.yaml.
    result = {"pod_security": psc, "config_text": None}
    if cm is None:
        return result
    cw = cm["__file__"]
    text = (cm.get("data") or {}).get(os.path.basename(CONFIG_PATH))
    if text is None:
        c.problem(cw, f"the ConfigMap has no key {os.path.basename(CONFIG_PATH)}")
        return result
    result["config_text"] = text
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        c.problem(cw, f"rapportd.yaml does not parse: {e}")
        return result
    grpc_listen = (config.get("grpc") or {}).get("listen")
    http_listen = (config.get("http") or {}).get("listen")
    if listen_port(cw + " grpc.listen", c, grpc_listen) != GRPC_PORT:
        c.problem(cw, f"grpc.listen {grpc_listen!r} must listen on {GRPC_PORT}")
    if listen_port(cw + " http.listen", c, http_listen) != HTTP_PORT:
        c.problem(cw, f"http.listen {http_listen!r} must listen on {HTTP_PORT}")
    for name, value in (("grpc.listen", grpc_listen), ("http.listen", http_listen)):
        if str(value).startswith("127.") or str(value).startswith("localhost"):
            c.problem(cw, f"{name} {value!r} is loopback: probes and the Service could not reach it")
    if config.get("data_dir") != DATA_DIR:
        c.problem(cw, f"data_dir {config.get('data_dir')!r} must be {DATA_DIR} (inside the claim's mount {STATE_DIR})")

    # Secret files named by the config against the Secret's keys.
    referenced = webhook_files(config)
    secret_values = {}
    if secret is not None:
        secret_values.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
        for k, v in (secret.get("data") or {}).items():
            secret_values[k] = base64.b64decode(v).decode()
    used = set()
    for setting, path in referenced:
        if secret_mount is None or os.path.dirname(path) != secret_mount:
            c.problem(cw, f"{setting}: {path} is not in the Secret's mount ({secret_mount})")
            continue
        key = os.path.basename(path)
        used.add(key)
        if key not in secret_values:
            c.problem(cw, f"{setting}: the Secret has no key {key!r}")
    for key in sorted(set(secret_values) - used):
        c.problem(secret["__file__"], f"key {key!r} is named by no secret_file/token_file/hash_file in the ConfigMap")

    # rapportd accepts it, with the Secret's values where the files will be.
    if rapportd:
        with tempfile.TemporaryDirectory() as tmp:
            local = text
            if secret_mount:
                secrets = os.path.join(tmp, "secrets")
                os.mkdir(secrets)
                for key, value in secret_values.items():
                    with open(os.path.join(secrets, key), "w") as f:
                        f.write(value)
                local = local.replace(secret_mount.rstrip("/") + "/", secrets + "/")
            path = os.path.join(tmp, "rapportd.yaml")
            with open(path, "w") as f:
                f.write(local)
            if check_config_file(c, cw + " rapportd.yaml", rapportd, path):
                c.ok(f"{label}: the ConfigMap's rapportd.yaml passes rapportd --check-config "
                     f"({len(referenced)} webhook secret file(s) taken from the Secret)")
    return result


def run_kubectl(c, rapportd, flags):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        c.note("kubectl is not on PATH: `kubectl kustomize deploy/kubernetes` skipped")
        return
    # kustomize needs no cluster; `kubectl apply --dry-run=client` does (it
    # asks the API server for the kinds), so it is not tried.
    out = subprocess.run([kubectl, "kustomize", K8S], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        c.problem("kubectl kustomize deploy/kubernetes", out.stderr.strip() or f"exit {out.returncode}")
        return
    docs = {}
    for d in yaml.safe_load_all(out.stdout):
        if d:
            d["__file__"] = "kubectl kustomize deploy/kubernetes"
            docs.setdefault(d.get("kind"), []).append(d)
    count = sum(len(v) for v in docs.values())
    # Problems already reported for the files are not repeated.
    seen = {p.split(": ", 1)[1] for p in c.problems}
    built = Checker()
    check_kinds(built, docs)
    check_kubernetes(built, docs, None, flags, label="kustomize output")
    fresh = [p for p in built.problems if p.split(": ", 1)[1] not in seen]
    c.problems.extend(fresh)
    if not built.problems:
        c.ok(f"kubectl kustomize deploy/kubernetes: {count} objects "
             f"({', '.join(sorted(docs))}), consistent as above")


# ------------------------------------------------------------- Dockerfile


def dockerfile_instructions(path):
    """[(line number, INSTRUCTION, arguments)] with continuations joined."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            stripped = line.rstrip("\n")
            if not buf and (not stripped.strip() or stripped.lstrip().startswith("#")):
                continue
            if buf and stripped.lstrip().startswith("#"):
                continue
            if not buf:
                start = n
            if stripped.endswith("\\"):
                buf += stripped[:-1] + " "
                continue
            buf += stripped
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    return out


def exec_form(args):
    """JSON exec form or shell form, as a list of words."""
    args = args.strip()
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def build_targets():
    """{(source dir relative to the repository, target name)} of every
    add_executable in the tree."""
    found = set()
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not d.startswith("build") and d != "var"]
        if "CMakeLists.txt" in files:
            with open(os.path.join(root, "CMakeLists.txt")) as f:
                for m in re.finditer(r"add_executable\(\s*([A-Za-z0-9_.-]+)", f.read()):
                    found.add((os.path.relpath(root, REPO), m.group(1)))
    return found


def check_dockerfile(c, rapportd, flags, pod_security):
    path = os.path.join(DEPLOY, "Dockerfile")
    where = rel(path)
    if not os.path.exists(path):
        c.problem(where, "missing")
        return
    ins = dockerfile_instructions(path)
    stages = []  # [{name, image, instructions}]
    for n, word, args in ins:
        if word == "FROM":
            parts = args.split()
            image = [p for p in parts if not p.startswith("--")][0]
            name = parts[parts.index("AS") + 1] if "AS" in parts else (
                parts[parts.index("as") + 1] if "as" in parts else None)
            stages.append({"name": name, "image": image, "ins": [], "line": n})
        elif stages:
            stages[-1]["ins"].append((n, word, args))
        else:
            c.problem(where, f"line {n}: {word} before the first FROM")
    if len(stages) < 2:
        c.problem(where, f"expected a multi-stage build (build, runtime), found {len(stages)} stage(s)")
        return
    for s in stages:
        if not re.match(r"^(docker\.io/(library/)?)?debian:bookworm(-slim)?(@sha256:[0-9a-f]+)?$", s["image"]):
            c.problem(where, f"line {s['line']}: stage {s['name']} is FROM {s['image']}, not Debian bookworm")
    run = stages[-1]
    words = lambda w: [(n, a) for n, x, a in run["ins"] if x == w]  # noqa: E731

    # A numeric non-root user (Kubernetes' runAsNonRoot can verify only a number).
    users = words("USER")
    if not users:
        c.problem(where, "the runtime stage has no USER: it would run as root")
        uid = None
    else:
        n, user = users[-1]
        uid = user.split(":")[0]
        if uid in ("root", "0"):
            c.problem(where, f"line {n}: USER {user} is root")
        elif not uid.isdigit():
            c.problem(where, f"line {n}: USER {user} is a name; Kubernetes' runAsNonRoot needs a numeric UID")
        elif pod_security and str(pod_security.get("runAsUser")) != uid:
            c.problem(where, f"line {n}: USER {uid} differs from the StatefulSet's runAsUser "
                             f"{pod_security.get('runAsUser')}")
        elif pod_security and str(pod_security.get("fsGroup")) != user.partition(":")[2] and ":" in user:
            c.problem(where, f"line {n}: USER's group {user.partition(':')[2]} differs from the StatefulSet's "
                             f"fsGroup {pod_security.get('fsGroup')}")

    volumes = [v for _, a in words("VOLUME") for v in exec_form(a)]
    if STATE_DIR not in volumes:
        c.problem(where, f"no VOLUME {STATE_DIR} (have {volumes})")
    exposed = {int(p.split("/")[0]) for _, a in words("EXPOSE") for p in a.split()}
    for p in (GRPC_PORT, HTTP_PORT):
        if p not in exposed:
            c.problem(where, f"port {p} is not in EXPOSE (have {sorted(exposed)})")

    # What the runtime stage has: apt packages and copied files.
    installed = set()
    for _, a in words("RUN"):
        for m in re.finditer(r"apt-get install ([^&;|]*)", a):
            installed.update(w for w in m.group(1).split() if not w.startswith("-"))
    copied = {}  # destination path -> source path
    build_dirs = set()
    for s in stages[:-1]:
        for _, w, a in s["ins"]:
            if w == "RUN":
                for m in re.finditer(r"-B\s+(\S+)", a):
                    build_dirs.add(m.group(1).rstrip("/"))
    targets = build_targets()
    for n, a in words("COPY"):
        parts = exec_form(a)
        opts = [p for p in parts if p.startswith("--")]
        paths = [p for p in parts if not p.startswith("--")]
        srcs, dest = paths[:-1], paths[-1]
        from_build = any(o.startswith("--from=") for o in opts)
        for src in srcs:
            target = os.path.join(dest, os.path.basename(src)) if dest.endswith("/") else dest
            copied[target] = src
            if not from_build:
                continue
            base = next((b for b in build_dirs if src.startswith(b + "/")), None)
            if base is None or src.endswith((".yaml", ".yml")):
                continue
            subdir, name = os.path.split(src[len(base) + 1:])
            if (subdir or ".", name) not in targets:
                c.problem(where, f"line {n}: copies {src}, but {subdir or '.'}/CMakeLists.txt has no "
                                 f"add_executable({name})")
    for b in ("/usr/local/bin/rapportd", "/usr/local/bin/rapport"):
        if b not in copied:
            c.problem(where, f"the runtime stage has no {b}")

    # HEALTHCHECK: /readyz, or `rapport health` (the gRPC health service,
    # whose status is /readyz's readiness), run by a program the image has.
    checks = words("HEALTHCHECK")
    if not checks:
        c.problem(where, "no HEALTHCHECK")
    else:
        n, a = checks[-1]
        cmd = a[a.index("CMD") + 3:].strip() if "CMD" in a else ""
        argv = exec_form(cmd) if cmd else []
        program = os.path.basename(argv[0]) if argv else ""
        if program in ("sh", "bash") and len(argv) > 2:
            program = os.path.basename(shlex.split(argv[2])[0])
        if "/readyz" in cmd:
            if program in ("curl", "wget") and program not in installed:
                c.problem(where, f"line {n}: HEALTHCHECK runs {program}, which the runtime stage does not install")
            if f":{HTTP_PORT}/readyz" not in cmd:
                c.problem(where, f"line {n}: HEALTHCHECK asks /readyz, but not on port {HTTP_PORT}")
        elif program == "rapport" and argv[1:2] == ["health"]:
            if argv[0] not in copied and f"/usr/local/bin/{argv[0]}" not in copied:
                c.problem(where, f"line {n}: HEALTHCHECK runs {argv[0]}, which the image does not have")
            # `rapport health --http HOST:PORT` asks GET /readyz; without it,
            # the gRPC health service (the same readiness).
            wanted = HTTP_PORT if "--http" in argv else GRPC_PORT
            if f":{wanted}" not in cmd:
                c.problem(where, f"line {n}: HEALTHCHECK's rapport health does not ask port {wanted}")
        else:
            c.problem(where, f"line {n}: HEALTHCHECK neither asks /readyz nor runs `rapport health`: {cmd}")

    # ENTRYPOINT + CMD: rapportd --config=<the copied, rendered file>.
    entry = exec_form(words("ENTRYPOINT")[-1][1]) if words("ENTRYPOINT") else []
    cmd = exec_form(words("CMD")[-1][1]) if words("CMD") else []
    argv = entry + cmd
    if not argv or os.path.basename(argv[0]) != "rapportd":
        c.problem(where, f"ENTRYPOINT/CMD do not run rapportd: {argv}")
    if f"--config={CONFIG_PATH}" not in argv:
        c.problem(where, f"ENTRYPOINT/CMD do not pass --config={CONFIG_PATH}: {argv}")
    if CONFIG_PATH not in copied:
        c.problem(where, f"the runtime stage has no {CONFIG_PATH}")
    if flags is not None:
        check_flags(c, where, argv[1:], flags)

    # The configuration the build stage renders: the same command here, and
    # rapportd must accept what it writes.
    render = None
    for s in stages[:-1]:
        for n, w, a in s["ins"]:
            m = re.search(r"deploy/render-config\.sh\s+([^>]*)>", a) if w == "RUN" else None
            if m:
                render = (n, shlex.split(m.group(1)))
    if CONFIG_PATH in copied and render is None:
        c.problem(where, "the build stage does not render the image's rapportd.yaml with deploy/render-config.sh")
    if render is not None:
        n, rargs = render
        out = subprocess.run(["bash", os.path.join(DEPLOY, "render-config.sh")] + rargs, capture_output=True, text=True)
        if out.returncode != 0:
            c.problem(where, f"line {n}: deploy/render-config.sh {' '.join(rargs)} failed: {out.stderr.strip()}")
        else:
            config = yaml.safe_load(out.stdout) or {}
            want = {("grpc", "listen"): f"0.0.0.0:{GRPC_PORT}", ("http", "listen"): f"0.0.0.0:{HTTP_PORT}"}
            for (section, key), value in want.items():
                if (config.get(section) or {}).get(key) != value:
                    c.problem(where, f"line {n}: the image's {section}.{key} is "
                                     f"{(config.get(section) or {}).get(key)!r}, expected {value!r}")
            if config.get("data_dir") != DATA_DIR:
                c.problem(where, f"line {n}: the image's data_dir is {config.get('data_dir')!r}, not {DATA_DIR} inside the VOLUME {STATE_DIR}")
            if rapportd:
                with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
                    f.write(out.stdout)
                    f.flush()
                    if check_config_file(c, f"{where} (the image's rapportd.yaml)", rapportd, f.name):
                        c.ok("Dockerfile: the image's rendered rapportd.yaml passes rapportd --check-config")
    ignore = os.path.join(DEPLOY, "Dockerfile.dockerignore")
    if not os.path.exists(ignore) or not re.search(r"^build\b", open(ignore).read(), re.M):
        c.problem(rel(ignore), "missing, or does not leave build/ out of the context")


# ------------------------------------------------------------- systemd


def parse_unit(path):
    """{section: {key: [values]}}: systemd keys may repeat."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_unit(c, rapportd, flags):
    path = os.path.join(DEPLOY, "rapportd.service")
    where = rel(path)
    unit = parse_unit(path)
    service = unit.get("Service") or {}
    for key, want in UNIT_HARDENING.items():
        if key not in service:
            c.problem(where, f"[Service] has no {key}= (want {key}={want})")
        elif want is not None and service[key][-1] != want:
            c.problem(where, f"{key}={service[key][-1]}, expected {key}={want}")
    if "multi-user.target" not in " ".join((unit.get("Install") or {}).get("WantedBy") or []):
        c.problem(where, "[Install] WantedBy=multi-user.target is missing")
    exec_start = (service.get("ExecStart") or [""])[-1]
    argv = shlex.split(exec_start)
    if not argv or os.path.basename(argv[0]) != "rapportd" or not argv[0].startswith("/"):
        c.problem(where, f"ExecStart does not run rapportd by its absolute path: {exec_start!r}")
    if f"--config={CONFIG_PATH}" not in argv and f"--config {CONFIG_PATH}" not in exec_start:
        c.problem(where, f"ExecStart must pass --config={CONFIG_PATH}: {exec_start!r}")
    if flags is not None:
        for key in ("ExecStart", "ExecStartPre", "ExecStartPost"):
            for line in service.get(key) or []:
                words = shlex.split(line)
                if words and os.path.basename(words[0]) == "rapportd":
                    check_flags(c, f"{where} {key}", words[1:], flags)
    if rapportd and shutil.which("systemd-analyze"):
        with tempfile.TemporaryDirectory() as tmp:
            # The unit as installed, but running the rapportd under test
            # (verify insists that the program exists).
            copy = os.path.join(tmp, "rapportd.service")
            with open(path) as f:
                text = f.read()
            with open(copy, "w") as f:
                f.write(text.replace(argv[0], os.path.abspath(rapportd)))
            out = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True, timeout=120)
            # A misspelt key or a bad value is only warned about ("...,
            # ignoring."): the setting would silently not apply.
            said = (out.stderr + out.stdout).replace(copy, "rapportd.service").strip()
            if out.returncode != 0 or "ignoring" in said:
                c.problem(where, f"systemd-analyze verify: {said}")
            else:
                c.ok("rapportd.service: systemd-analyze verify")
            out = subprocess.run(["systemd-analyze", "security", "--offline=true", copy], capture_output=True,
                                 text=True, timeout=120)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", out.stdout + out.stderr)
            if m:
                c.ok(f"rapportd.service: systemd-analyze security --offline: exposure {m.group(1)} {m.group(2)}")
                if float(m.group(1)) > 3.0:
                    c.problem(where, f"systemd-analyze security rates its exposure {m.group(1)}: above 3.0")
            else:
                c.note("systemd-analyze security --offline gave no rating (older systemd?)")
    elif rapportd:
        c.note("systemd-analyze is not on PATH: the unit was not verified by systemd")


# ---------------------------------------------------------- install.sh


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def install_test(c, rapportd, rapport):
    if not rapportd or not rapport:
        c.problem("--install-test", "needs --rapportd and --rapport")
        return
    script = os.path.join(DEPLOY, "install.sh")
    with tempfile.TemporaryDirectory() as tmp:
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(rapportd), os.path.join(bindir, "rapportd"))
        os.symlink(os.path.abspath(rapport), os.path.join(bindir, "rapport"))
        root = os.path.join(tmp, "root")

        def install(*extra):
            out = subprocess.run(["bash", script, "--bin-dir", bindir, "--root", root, *extra],
                                 capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                c.problem("install.sh", f"exit {out.returncode}: {(out.stderr + out.stdout).strip()}")
            return out.stdout + out.stderr

        before = len(c.problems)
        log = install("--no-enable")
        if len(c.problems) > before:
            return
        for said in ("not creating the system user", "not running systemctl"):
            if said not in log:
                c.problem("install.sh --root", f"does not say it skipped ({said!r}):\n{log}")
        expect = {
            "usr/local/bin/rapportd": 0o755,
            "usr/local/bin/rapport": 0o755,
            "etc/rapport": 0o750,
            "etc/rapport/rapportd.yaml": 0o640,
            "etc/systemd/system/rapportd.service": 0o644,
        }
        for f, mode in expect.items():
            p = os.path.join(root, f)
            if not os.path.exists(p):
                c.problem("install.sh --root", f"{f} was not installed")
            elif stat.S_IMODE(os.stat(p).st_mode) != mode:
                c.problem("install.sh --root", f"{f} has mode {oct(stat.S_IMODE(os.stat(p).st_mode))}, "
                                               f"expected {oct(mode)}")
        for dirpath, _, files in os.walk(root):
            for f in files:
                r = os.path.relpath(os.path.join(dirpath, f), root)
                if r not in expect:
                    c.problem("install.sh --root", f"installed an unexpected file {r}")
        unit = os.path.join(root, "etc/systemd/system/rapportd.service")
        with open(unit) as a, open(os.path.join(DEPLOY, "rapportd.service")) as b:
            if a.read() != b.read():
                c.problem("install.sh --root", "the installed unit differs from deploy/rapportd.service")
        config = os.path.join(root, "etc/rapport/rapportd.yaml")
        with open(config) as f:
            settings = yaml.safe_load(f) or {}
        want = {"grpc.listen": f"127.0.0.1:{GRPC_PORT}", "http.listen": f"127.0.0.1:{HTTP_PORT}",
                "data_dir": DATA_DIR}
        got = {"grpc.listen": (settings.get("grpc") or {}).get("listen"),
               "http.listen": (settings.get("http") or {}).get("listen"), "data_dir": settings.get("data_dir")}
        want["auth.required"] = True  # deploy/ runs with API keys on, loopback included
        got["auth.required"] = (settings.get("auth") or {}).get("required")
        for k, v in want.items():
            if got[k] != v:
                c.problem("install.sh --root", f"the installed rapportd.yaml has {k} {got[k]!r}, expected {v!r}")
        check_config_file(c, "install.sh --root: the installed rapportd.yaml", rapportd, config)

        # A second run keeps an existing configuration.
        with open(config, "a") as f:
            f.write("# edited by the operator\n")
        log = install("--no-enable")
        with open(config) as f:
            if "# edited by the operator" not in f.read() or "exists: kept" not in log:
                c.problem("install.sh --root", "a second run did not keep the existing rapportd.yaml")

        # --prefix moves the programs and the unit's ExecStart with them.
        install("--prefix", "/opt/rapport", "--no-enable")
        with open(unit) as f:
            text = f.read()
        exec_lines = [line for line in text.splitlines() if line.startswith("Exec")]
        if "ExecStart=/opt/rapport/bin/rapportd " not in text or any("/usr/local/" in x for x in exec_lines):
            c.problem("install.sh --prefix", "the unit's ExecStart does not follow --prefix /opt/rapport")
        if not os.access(os.path.join(root, "opt/rapport/bin/rapportd"), os.X_OK):
            c.problem("install.sh --prefix", "opt/rapport/bin/rapportd was not installed")

        # Refusals: an unknown option, both sources.
        for bad in (["--frobnicate"], ["--bin-dir", bindir, "--build-dir", tmp]):
            out = subprocess.run(["bash", script, "--root", root, *bad], capture_output=True, text=True)
            if out.returncode == 0 or not out.stderr.strip():
                c.problem("install.sh", f"{' '.join(bad)} was not refused with a message")

        # The installed server with the installed configuration answers the
        # health checks that the deployments use (on free ports, a temporary
        # store: the installed addresses and /var/lib/rapport are the
        # system's).
        grpc, http = free_port(), free_port()
        installed_rapportd = os.path.join(root, "usr/local/bin/rapportd")
        installed_rapport = os.path.join(root, "usr/local/bin/rapport")
        log_path = os.path.join(tmp, "rapportd.log")
        with open(log_path, "w") as log_file:
            proc = subprocess.Popen([installed_rapportd, f"--config={config}", f"--listen=127.0.0.1:{grpc}",
                                     f"--http-listen=127.0.0.1:{http}", f"--data-dir={tmp}/data"],
                                    stdout=log_file, stderr=subprocess.STDOUT)
        try:
            out = subprocess.run([installed_rapport, "health", "--server", f"127.0.0.1:{grpc}", "--wait", "30"],
                                 capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                with open(log_path) as f:
                    c.problem("installed rapportd", f"rapport health: {out.stdout}{out.stderr}\n{f.read()}")
            else:
                status = None
                deadline = time.time() + 10
                while time.time() < deadline:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{http}/readyz", timeout=2) as r:
                            status = r.status
                        break
                    except (urllib.error.URLError, ConnectionError) as e:
                        status = str(e)
                        time.sleep(0.2)
                # The container's HEALTHCHECK: the CLI asking GET /readyz.
                probe = subprocess.run([installed_rapport, "health", "--http", f"127.0.0.1:{http}", "--wait", "10"],
                                       capture_output=True, text=True, timeout=60)
                if status != 200:
                    c.problem("installed rapportd", f"GET /readyz gave {status}")
                elif probe.returncode != 0 or "READY" not in probe.stdout:
                    c.problem("installed rapportd", f"rapport health --http: {probe.stdout}{probe.stderr}")
                else:
                    c.ok("install.sh --root: the installed rapportd runs with the installed rapportd.yaml; "
                         "`rapport health` SERVING, GET /readyz 200, `rapport health --http` READY")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.returncode not in (0, -15):
            with open(log_path) as f:
                c.problem("installed rapportd", f"did not stop cleanly on SIGTERM (exit {proc.returncode}):\n{f.read()}")
        if len(c.problems) == before:
            c.ok("install.sh --root: binaries, /etc/rapport/rapportd.yaml (0640), the unit; "
                 "an existing configuration kept; --prefix followed; bad options refused")


# -------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rapportd", help="a built rapportd, to check the configurations and flags with")
    parser.add_argument("--rapport", help="a built rapport CLI (for --install-test)")
    parser.add_argument("--install-test", action="store_true", help="run install.sh into a temporary --root")
    parser.add_argument("--no-static", action="store_true", help="skip the checks of the files")
    args = parser.parse_args()
    for name in ("rapportd", "rapport"):
        path = getattr(args, name)
        if path and not os.access(path, os.X_OK):
            sys.exit(f"deploy/check.py: --{name} {path} is not an executable")

    c = Checker()
    flags = rapportd_flags(args.rapportd) if args.rapportd else None
    if flags is not None and not {"config", "listen", "http_listen", "data_dir", "check_config"} <= flags:
        sys.exit(f"deploy/check.py: could not read rapportd's flags from {args.rapportd} --helpfull (got {flags})")
    if not args.no_static:
        before = len(c.problems)
        docs, files = load_manifests(c, K8S)
        check_kinds(c, docs)
        check_kustomization(c, files)
        result = check_kubernetes(c, docs, args.rapportd, flags)
        if len(c.problems) == before:
            c.ok(f"kubernetes: {', '.join(f for f in files)} consistent (StatefulSet, Service, probes, "
                 "volumes, ConfigMap, Secret)")
        run_kubectl(c, args.rapportd, flags)
        before = len(c.problems)
        check_dockerfile(c, args.rapportd, flags, result.get("pod_security"))
        if len(c.problems) == before:
            c.ok("Dockerfile: bookworm stages, numeric non-root USER, VOLUME, EXPOSE 50051 8080, HEALTHCHECK, "
                 "copied build targets")
        before = len(c.problems)
        check_unit(c, args.rapportd, flags)
        if len(c.problems) == before:
            c.ok("rapportd.service: hardening settings and ExecStart")
        if not args.rapportd:
            c.note("no --rapportd: configurations and flags were not checked against rapportd")
    if args.install_test:
        install_test(c, args.rapportd, args.rapport)
    if c.problems:
        print(f"\ndeploy/check.py: {len(c.problems)} problem(s):", file=sys.stderr)
        for p in c.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("deploy/check.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
