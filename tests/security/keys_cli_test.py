"""API keys as an operator meets them, with rapportd as a process: `rapportd
keys create/list/revoke/hash` on the data directory of a running server, the
CLI with RAPPORT_KEY, a key revoked while the server runs refused within
seconds, a new one taken without a restart, a non-loopback listen without
keys refusing to start, and no key or secret anywhere in the server's log
(at debug level).

usage: keys_cli_test.py RAPPORTD RAPPORT
"""
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from loopback import check, free_port, wait_for_text, wait_listening  # noqa: E402


def keys(rapportd, *args, stdin=None):
    return subprocess.run([rapportd, "keys", *args], capture_output=True, text=True, timeout=30, input=stdin)


def create(rapportd, data, tenant, role, name=""):
    out = keys(rapportd, "create", "--data-dir", data, "--tenant", tenant, "--role", role,
               *(["--name", name] if name else []))
    check(out.returncode == 0, f"keys create: {out}")
    key = out.stdout.strip().splitlines()[-1]
    check(key.startswith("rpk_") and " " not in key, f"the key alone on the last line: {out.stdout!r}")
    return key


def stats(rapport, port, key):
    env = dict(os.environ)
    env.pop("RAPPORT_KEY", None)
    if key:
        env["RAPPORT_KEY"] = key
    return subprocess.run([rapport, "stats", "--server", f"127.0.0.1:{port}", "--json"], capture_output=True,
                          text=True, timeout=30, env=env)


def http_status(url, headers, body=None):
    """The HTTP status of a GET, or of a POST of `body`."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def python_client(tmp, port, key):
    """clients/python sends $RAPPORT_KEY on its streams (skipped without grpcio)."""
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        print("note: python3-grpcio or python3-grpc-tools missing; the Python client is not checked")
        return
    client = os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python", "rapport_client.py")
    events = os.path.join(os.path.dirname(__file__), "..", "fixtures", "jsonl", "events.jsonl")
    env = dict(os.environ)
    env.pop("RAPPORT_KEY", None)
    run = lambda: subprocess.run([sys.executable, client, "ingest", events, "--target", f"127.0.0.1:{port}",
                                  "--stubs", os.path.join(tmp, "stubs"), "--retry-for", "5", "--quiet", "--json"],
                                 capture_output=True, text=True, timeout=120, env=env)
    without = run()
    check(without.returncode != 0 and "UNAUTHENTICATED" in without.stdout + without.stderr,
          f"the Python client without a key is refused: {without}")
    env["RAPPORT_KEY"] = key
    with_key = run()
    # The fixture's last line is a deliberately bad event (exit 1, EXIT_REJECTED).
    summary = json.loads(with_key.stdout or "{}")
    check(summary.get("accepted", 0) >= 1 and summary.get("error") is None,
          f"the Python client with RAPPORT_KEY ingests: {with_key}")


def main():
    rapportd, rapport = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        # A non-loopback listen with no key refuses to start and says how to make one.
        refused = subprocess.run([rapportd, "--listen", "0.0.0.0:0", "--data-dir", os.path.join(tmp, "open")],
                                 capture_output=True, text=True, timeout=60)
        check(refused.returncode == 1, f"a non-loopback listen without keys exits 1: {refused}")
        check("rapportd keys create" in refused.stderr, f"and says how to create a key: {refused.stderr}")

        data = os.path.join(tmp, "data")
        operator = create(rapportd, data, "*", "admin", "ops")
        reader = create(rapportd, data, "acme", "read", "dashboard")
        listed = keys(rapportd, "list", "--data-dir", data, "--json")
        check(listed.returncode == 0, f"keys list: {listed}")
        rows = json.loads(listed.stdout)
        check(sorted(r["tenant"] for r in rows) == ["*", "acme"], f"both keys listed: {rows}")
        check(all(set(r) == {"id", "tenant", "role", "label", "created", "last_used"} for r in rows), f"fields: {rows}")
        for key in (operator, reader):
            check(key not in listed.stdout and key.split("_")[2] not in listed.stdout, "keys list never shows a key")
            with open(os.path.join(data, "RAPPORT-KEYS")) as f:
                check(key.split("_")[2] not in f.read(), "the keys file holds no key")
        hashed = keys(rapportd, "hash", stdin=operator + "\n")
        check(hashed.returncode == 0 and hashed.stdout.startswith("rpk1$" + operator.split("_")[1] + "$"),
              f"keys hash: {hashed}")
        check(keys(rapportd, "hash", stdin="not a key\n").returncode == 1, "keys hash refuses a non-key")
        check(keys(rapportd, "create", "--data-dir", data, "--tenant", "acme", "--role", "boss").returncode == 2,
              "an unknown role is a usage error")

        port, http = free_port(), free_port()
        log_path = os.path.join(tmp, "rapportd.log")
        log = open(log_path, "w")
        webhook_secret = "whs-" + os.urandom(12).hex()
        config_path = os.path.join(tmp, "rapportd.yaml")
        with open(config_path, "w") as f:
            f.write(f"tenants:\n  acme:\n    webhooks:\n      jira: {{secret: {webhook_secret}}}\n")
        server = subprocess.Popen([rapportd, "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                                   "--http-listen", f"127.0.0.1:{http}", "--config", config_path,
                                   "--log-level=debug"], stderr=log)
        try:
            check(wait_listening(port) and wait_listening(http), "rapportd listens")
            check(wait_for_text(log_path, "API keys required"), "a keys file turns auth on, on loopback too")
            anonymous = stats(rapport, port, "")
            check(anonymous.returncode != 0 and "UNAUTHENTICATED" in anonymous.stderr, f"no key: {anonymous}")
            check(stats(rapport, port, reader).returncode != 0, "a read key cannot read stats")
            check(stats(rapport, port, operator).returncode == 0, "the operator's key reads stats")
            metrics = f"http://127.0.0.1:{http}/metrics"
            check(http_status(metrics, {}) == 401, "/metrics needs a key")
            check(http_status(metrics, {"Authorization": "Bearer " + reader}) == 403, "/metrics is the operator's")
            check(http_status(metrics, {"Authorization": "Bearer " + operator}) == 200, "the operator reads /metrics")
            check(http_status(f"http://127.0.0.1:{http}/readyz", {}) == 200, "probes need no key")
            # Webhook deliveries signed with the tenant's secret, rightly and wrongly: the
            # secret, like a key, never reaches the log.
            body = b'{"webhookEvent": "jira:issue_created"}'
            good = "sha256=" + hmac.new(webhook_secret.encode(), body, hashlib.sha256).hexdigest()
            hook = f"http://127.0.0.1:{http}/v1/webhooks/jira/acme"
            check(http_status(hook, {"X-Hub-Signature": "sha256=" + "0" * 64, "Content-Type": "application/json"},
                              body) == 401,
                  "a wrongly signed webhook is refused")
            signed = http_status(hook, {"X-Hub-Signature": good, "Content-Type": "application/json"}, body)
            check(signed not in (401, 403), f"a rightly signed webhook passes authentication ({signed})")

            # Revoked while the server runs: refused within seconds.
            out = keys(rapportd, "revoke", "--data-dir", data, operator)
            check(out.returncode == 0, f"keys revoke: {out}")
            revoked_at = time.monotonic()
            while stats(rapport, port, operator).returncode == 0 and time.monotonic() - revoked_at < 10:
                time.sleep(0.2)
            took = time.monotonic() - revoked_at
            check(took < 5, f"a revoked key stops working within seconds (took {took:.1f} s)")
            check("UNAUTHENTICATED" in stats(rapport, port, operator).stderr, "the revoked key is unauthenticated")
            # A new key works without a restart.
            fresh = create(rapportd, data, "*", "admin")
            made_at = time.monotonic()
            while stats(rapport, port, fresh).returncode != 0 and time.monotonic() - made_at < 10:
                time.sleep(0.2)
            check(stats(rapport, port, fresh).returncode == 0, "a key made while the server runs is taken")
            check(keys(rapportd, "revoke", "--data-dir", data, "0123456789abcdef").returncode == 1,
                  "revoking an unknown id fails")
            python_client(tmp, port, create(rapportd, data, "acme", "ingest", "python"))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            log.close()
        # Last use is recorded (written at shutdown at the latest).
        rows = {r["label"]: r for r in json.loads(keys(rapportd, "list", "--data-dir", data, "--json").stdout)}
        check(rows["dashboard"]["last_used"] != "never", f"last used recorded: {rows}")
        with open(log_path) as f:
            text = f.read()
        for key in (operator, reader, fresh):
            check(key.split("_")[2] not in text, "no key's secret in the server's log")
        check(webhook_secret not in text, "no webhook secret in the server's log")
        check("Bearer rpk_" not in text and "authorization" not in text.lower().replace("authorization: bearer <key>", ""),
              "no authorization header in the server's log")
    print("PASS")


if __name__ == "__main__":
    main()
