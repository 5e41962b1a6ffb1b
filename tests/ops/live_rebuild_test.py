"""A change of derived settings applied by SIGHUP while rapportd serves: the
events are replayed beside the serving store with the new targets, events
sent meanwhile are not lost, the new results are swapped in without a
restart, and they are exactly what an offline rebuild (--rebuild) computes.

usage: live_rebuild_test.py RAPPORTD RAPPORT EVENTS.jsonl
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from loopback import check, free_port, wait_for_text, wait_listening  # noqa: E402

OLD = "defaults:\n  detectors:\n    targets:\n      high: {first_response: 4h}\n"
NEW = "defaults:\n  detectors:\n    targets:\n      high: {first_response: 5m}\n      medium: {first_response: 10m}\n"


def wait_for(path, needle, seconds=60):
    return wait_for_text(path, needle, seconds)


class Server:
    def __init__(self, rapportd, rapport, config, data, log_path, *flags):
        self.rapport = rapport
        self.port = free_port()
        self.log = open(log_path, "a")
        self.process = subprocess.Popen([rapportd, "--config", config, "--data-dir", data,
                                         "--listen", f"127.0.0.1:{self.port}", *flags], stderr=self.log)
        check(wait_listening(self.port), "rapportd listens")

    def cli(self, *args, ok=True):
        done = subprocess.run([self.rapport, *args, "--server", f"127.0.0.1:{self.port}"],
                              capture_output=True, text=True, timeout=120)
        if ok:
            check(done.returncode == 0, f"rapport {' '.join(args)}: {done.stderr}")
        return done

    def findings(self):
        """Every finding of tenant acme, as the server answers them."""
        return json.loads(self.cli("findings", "--tenant", "acme", "--limit", "100000", "--json").stdout)

    def breaches(self):
        return sum(1 for f in self.findings().get("findings", []) if "FIRST_RESPONSE_BREACH" in f.get("kind", ""))

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        check(self.process.wait(timeout=60) == 0, "clean exit")
        self.log.close()


def main():
    rapportd, rapport, events = sys.argv[1:4]
    old_breaches = new_breaches = caught_up = None
    with tempfile.TemporaryDirectory() as tmp:
        config, data, log_path = (os.path.join(tmp, n) for n in ("rapportd.yaml", "data", "rapportd.log"))
        with open(config, "w") as f:
            f.write(OLD)
        lines = [l for l in open(events) if l.strip() and not l.startswith("#")]
        first, rest = os.path.join(tmp, "first.jsonl"), os.path.join(tmp, "rest.jsonl")
        with open(first, "w") as f:
            f.writelines(lines[: len(lines) * 3 // 4])
        with open(rest, "w") as f:
            f.writelines(lines[len(lines) * 3 // 4:])

        server = Server(rapportd, rapport, config, data, log_path)
        server.cli("ingest", "--quiet", first)
        old = server.findings()
        old_breaches = server.breaches()

        with open(config, "w") as f:
            f.write(NEW)
        server.process.send_signal(signal.SIGHUP)
        check(wait_for(log_path, "rebuilding beside the serving store"), "the rebuild is announced")
        # Sent while the rebuild runs: stored by the old server, replayed at
        # the swap, or re-sent by the CLI across it.
        server.cli("ingest", "--quiet", rest)
        check(wait_for(log_path, "serving the new results"), "the rebuilt store is swapped in")
        check(server.process.poll() is None, "no restart: the same process serves")
        with open(log_path) as f:
            text = f.read()
        check("rebuild beside the serving store: caught up" in text, f"the catch-up is logged: {text[-2000:]}")
        check("rebuilding derived data from the events" not in text,
              "the swapped-in server starts on derived data of its own settings: no second rebuild")
        caught_up = text.split("events_since_checkpoint=")[1].split()[0]
        stats = json.loads(server.cli("stats", "--tenant", "acme", "--json").stdout)
        stored = sum(int(t.get("events", 0)) for t in stats.get("tenants", []))
        expected = sum(1 for l in lines if json.loads(l).get("tenant", "acme") == "acme")
        check(stored == expected, f"every acme event stored once across the swap: {stored} of {expected}")
        live = server.findings()
        new_breaches = server.breaches()
        check(new_breaches > old_breaches, f"tighter targets breach more: {old_breaches} -> {new_breaches}")
        check(live != old, "the findings changed")
        server.stop()

        # The same store rebuilt offline with the same file: the same answers.
        offline = Server(rapportd, rapport, config, data, log_path, "--rebuild")
        check(offline.findings() == live, "the live rebuild equals an offline --rebuild")
        offline.stop()
        for leftover in ("data.snapshot", "data.rebuild", "data.old"):
            check(not os.path.exists(os.path.join(tmp, leftover)), f"{leftover} removed")
    print(f"ok: FIRST_RESPONSE_BREACH {old_breaches} -> {new_breaches}; {caught_up} events caught up at the swap")


if __name__ == "__main__":
    main()
