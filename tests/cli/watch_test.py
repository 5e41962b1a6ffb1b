#!/usr/bin/env python3
"""rapport watch resumes from its cursor file: every alert entry exactly once.

Half the samples are ingested and read with --no-follow; a following watch then
sees the entries the second half raises live; after a server restart the same
cursor file finds nothing new. The cursors seen across the three runs are the
whole log, 1..N, each once, as a replay from cursor 0 lists it.
usage: watch_test.py RAPPORTD RAPPORT SAMPLES.jsonl
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from loopback import check, free_port, wait_listening  # noqa: E402


def cursors(text):
    """The cursor (first field) of each entry line `rapport watch` printed."""
    return [int(line.split()[0]) for line in text.splitlines() if line.strip() and line.split()[0].isdigit()]


def main():
    rapportd, rapport, samples = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="rapport-watch-") as tmp:
        with open(samples) as f:
            lines = f.readlines()
        halves = [os.path.join(tmp, "first.jsonl"), os.path.join(tmp, "second.jsonl")]
        for path, part in zip(halves, (lines[:len(lines) // 2], lines[len(lines) // 2:])):
            with open(path, "w") as f:
                f.writelines(part)
        data, cursor_file = os.path.join(tmp, "store"), os.path.join(tmp, "cursor")
        port = free_port()
        server_address = f"127.0.0.1:{port}"

        def start():
            proc = subprocess.Popen([rapportd, "--listen", server_address, "--data-dir", data],
                                    stderr=subprocess.DEVNULL)
            check(wait_listening(port), "rapportd listens")
            return proc

        def cli(*args):
            return subprocess.run([rapport, *args, "--server", server_address], capture_output=True, text=True,
                                  timeout=120)

        def watch_once(*extra):
            out = cli("watch", "--tenant", "acme", "--no-follow", *extra)
            check(out.returncode == 0, f"rapport watch --no-follow: {out.stderr}")
            return cursors(out.stdout)

        server = start()
        try:
            check(cli("ingest", halves[0]).returncode == 0, "the first half ingests")
            first = watch_once("--cursor-file", cursor_file)
            check(len(first) > 0, f"the first half raises alerts ({len(first)})")

            live_out = open(os.path.join(tmp, "live.txt"), "w")
            live = subprocess.Popen([rapport, "watch", "--tenant", "acme", "--cursor-file", cursor_file,
                                     "--server", server_address], stdout=live_out, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            check(cli("ingest", halves[1]).returncode == 0, "the second half ingests")
            total = len(watch_once())
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with open(live_out.name) as f:
                    if len(cursors(f.read())) >= total - len(first):
                        break
                time.sleep(0.2)
            time.sleep(0.5)  # anything extra would show now
            live.send_signal(signal.SIGTERM)
            live.wait(timeout=30)
            live_out.close()
            with open(live_out.name) as f:
                second = cursors(f.read())
            check(len(second) > 0, f"the following watch printed the second half's alerts live ({len(second)})")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)

        server = start()
        try:
            after_restart = watch_once("--cursor-file", cursor_file)
            check(after_restart == [], f"after a restart the cursor file finds nothing new: {after_restart[:5]}")
            everything = watch_once()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        seen = first + second
        check(sorted(seen) == seen, "entries arrive in cursor order")
        check(len(seen) == len(set(seen)), "no entry twice")
        check(seen == everything and everything == list(range(1, len(everything) + 1)),
              f"first ({len(first)}) + live ({len(second)}) entries are the whole log ({len(everything)}), each once")
    print(f"PASS: {len(first)} entries, then {len(second)} live, none after the restart")


if __name__ == "__main__":
    main()
