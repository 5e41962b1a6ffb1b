#!/usr/bin/python3
"""`rapport ingest` streams a JSONL file in bounded memory: a real rapportd on a
free loopback port, a generated file of --mb megabytes, and the CLI's peak RSS
(from wait4) well below the file's size, every event accepted, the first ack
soon after the start.

    ingest_stream_test.py RAPPORTD RAPPORT GENERATOR [--mb 30] [--max-rss-mb 32] [--max-first-ack 5]
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=30):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rapportd")
    parser.add_argument("rapport")
    parser.add_argument("generator")
    parser.add_argument("--mb", type=float, default=30)
    parser.add_argument("--max-rss-mb", type=float, default=32, help="peak RSS allowed to the CLI")
    parser.add_argument("--max-first-ack", type=float, default=5.0, help="seconds")
    args = parser.parse_args()
    max_rss_mb = args.max_rss_mb

    with tempfile.TemporaryDirectory(prefix="rapport-ingest-stream-") as tmp:
        path = os.path.join(tmp, "events.jsonl")
        with open(path, "w") as out:
            subprocess.run([sys.executable, args.generator, "--mb", str(args.mb), "--tenant", "stream"],
                           stdout=out, check=True)
        with open(path, "rb") as f:
            events = sum(1 for _ in f)
        size_mb = os.path.getsize(path) / 1e6

        port = free_port()
        log = open(os.path.join(tmp, "rapportd.log"), "w")
        server = subprocess.Popen([args.rapportd, f"--listen=127.0.0.1:{port}",
                                   f"--data-dir={os.path.join(tmp, 'data')}"], stderr=log)
        try:
            if not wait_listening(port):
                print("rapportd did not start", file=sys.stderr)
                return 1
            cli = subprocess.Popen([args.rapport, "ingest", "--server", f"127.0.0.1:{port}", "--json",
                                    "--in-flight", "8", path], stdout=subprocess.PIPE)
            output = cli.stdout.read()
            _, status, usage = os.wait4(cli.pid, 0)
            cli.returncode = os.waitstatus_to_exitcode(status)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        rss_mb = usage.ru_maxrss / 1024
        print(f"{size_mb:.1f} MB, {events} events; CLI peak RSS {rss_mb:.1f} MB; output {output.decode().strip()}")
        if cli.returncode != 0:
            print(f"rapport ingest exited {cli.returncode}", file=sys.stderr)
            return 1
        summary = json.loads(output)
        failures = []
        if summary["accepted"] != events:
            failures.append(f"{summary['accepted']} of {events} events accepted")
        if rss_mb >= max_rss_mb:
            failures.append(f"peak RSS {rss_mb:.1f} MB is not below {max_rss_mb:.1f} MB")
        if summary["seconds_to_first_ack"] >= args.max_first_ack:
            failures.append(f"first ack after {summary['seconds_to_first_ack']} s, not below {args.max_first_ack} s")
        for f in failures:
            print("FAILED:", f, file=sys.stderr)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
