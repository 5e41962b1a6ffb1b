"""rapportd and its configuration file, as an operator meets them: --check-config
exit codes, a bad file stopping startup with the file, line and key, a flag
overriding the file, and SIGHUP applying a new log level, keeping the old one
when the new file is bad.

usage: rapportd_config_test.py RAPPORTD
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from loopback import check, free_port, wait_for_text, wait_listening  # noqa: E402


def wait_for(path, needle, seconds=10):
    return wait_for_text(path, needle, seconds)


def main():
    rapportd = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        # A dash in a path given as its own argument stays a dash (flag
        # names alone have '-' turned into '_').
        os.mkdir(os.path.join(tmp, "conf-dir"))
        good = os.path.join(tmp, "conf-dir", "good.yaml")
        bad = os.path.join(tmp, "bad.yaml")
        with open(good, "w") as f:
            f.write("log:\n  level: info\n  format: text\n")
        with open(bad, "w") as f:
            f.write("log:\n  level: info\nlimits:\n  max_batch_events: many\n")

        run = lambda *args: subprocess.run([rapportd, *args], capture_output=True, text=True, timeout=30)
        ok = run("--check-config", "--config", good)
        check(ok.returncode == 0 and "valid" in ok.stdout, f"check-config of a good file: {ok}")
        wrong = run("--check-config", "--config", bad)
        check(wrong.returncode == 1, f"check-config of a bad file exits 1: {wrong}")
        check(f"{bad}: line 4: limits.max_batch_events: 'many'" in wrong.stderr, f"file, line, key: {wrong.stderr}")
        missing = run("--check-config")
        check(missing.returncode == 2, f"check-config without --config exits 2: {missing}")
        refused = run("--config", bad, "--data-dir", os.path.join(tmp, "never"), "--listen", "127.0.0.1:0")
        check(refused.returncode == 1 and "line 4" in refused.stderr, f"a bad file stops startup: {refused}")
        check(not os.path.exists(os.path.join(tmp, "never")), "nothing created before the file was validated")

        # The flag --log-format=json overrides the file's text format.
        config = os.path.join(tmp, "rapportd.yaml")
        with open(config, "w") as f:
            f.write(f"log:\n  level: info\n  format: text\ndata_dir: {tmp}/data\n")
        port = free_port()
        log_path = os.path.join(tmp, "rapportd.log")
        log = open(log_path, "w")
        server = subprocess.Popen([rapportd, "--config", config, "--listen", f"127.0.0.1:{port}",
                                   "--log-format=json"], stderr=log)
        try:
            check(wait_listening(port), "rapportd listens")
            check(wait_for(log_path, "rapportd serving"), "startup logged")
            with open(log_path) as f:
                first = json.loads(f.readline())
            check(first["level"] == "info", f"a JSON line: {first}")
            check(os.path.isdir(os.path.join(tmp, "data")), "data_dir from the file")

            # A bad file on SIGHUP: logged, nothing changes.
            with open(config, "w") as f:
                f.write("log:\n  level: shout\n")
            server.send_signal(signal.SIGHUP)
            check(wait_for(log_path, "reload failed; keeping the settings in force"), "a bad reload is logged")
            with open(log_path) as f:
                text = f.read()
            check("line 2: log.level: 'shout'" in text, f"the reload error names line and key: {text}")

            # A good file: level warning applies, info lines stop.
            with open(config, "w") as f:
                f.write(f"log:\n  level: warning\n  format: text\ndata_dir: {tmp}/data\n")
            server.send_signal(signal.SIGHUP)
            check(wait_for(log_path, "reload: log level changed"), "the new level is logged")
            check(wait_for(log_path, "\"to\":\"warning\""), "from info to warning")
            server.send_signal(signal.SIGTERM)
            check(server.wait(timeout=30) == 0, "clean exit")
            with open(log_path) as f:
                text = f.read()
            check("shutting down" not in text, f"info lines are dropped at level warning: {text}")
            check("\"format\"" not in text and "format changed" not in text,
                  "the flag's json format stays: the file's text format does not override it")
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            log.close()
    print("ok")


if __name__ == "__main__":
    main()
