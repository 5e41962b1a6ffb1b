#!/usr/bin/python3
"""`rapport ingest` streams a JSONL file in bounded memory: a real rapportd on a
free loopback port, a generated file of --mb megabytes, and the CLI's peak RSS
(from wait4) well below the file's size, every event accepted, the first ack
soon after the start. With --csv FIXTURE, also: a CSV of 1,000 copies of the
fixture's first ticket (renumbered) streams in chunks cut between tickets and
gives exactly 1,000 times the events of one copy; a CSV whose ticket comes back
after other tickets stops with its line; a single JSON document over the
IngestRaw limit is refused with its size before anything is sent.

    ingest_stream_test.py RAPPORTD RAPPORT GENERATOR [--mb 30] [--max-rss-mb 32] [--max-first-ack 5]
                          [--csv tests/fixtures/csv/incident_log.csv]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile


from loopback import free_port, wait_listening  # noqa: E402


def ingest(args, port, tenant, path, *extra):
    """(exit code, stdout, stderr) of `rapport ingest --json`."""
    done = subprocess.run([args.rapport, "ingest", "--server", f"127.0.0.1:{port}", "--json", "--tenant", tenant,
                           *extra, path], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def check_other_formats(args, tmp, port):
    failures = []
    csv = ["--adapter", "csv", "--mapping", "servicenow-incident-log"]
    with open(args.csv) as f:
        header, *rows = f.read().splitlines()
    ticket = rows[0].split(",")[0]
    rows = [r for r in rows if r.split(",")[0] == ticket]
    one, many, scattered = (os.path.join(tmp, name) for name in ("one.csv", "many.csv", "scattered.csv"))
    with open(one, "w") as f:
        f.write("\n".join([header] + rows) + "\n")
    copies = [[r.replace(ticket, f"{ticket}-{n:04d}", 1) for r in rows] for n in range(1000)]
    with open(many, "w") as f:
        f.write("\n".join([header] + [r for c in copies for r in c]) + "\n")
    with open(scattered, "w") as f:
        f.write("\n".join([header] + [r for c in copies[:600] for r in c] + [copies[0][-1]]) + "\n")

    code, out, err = ingest(args, port, "csv-one", one, *csv)
    per_ticket = json.loads(out)["accepted"] if code == 0 else 0
    code, out, err = ingest(args, port, "csv-many", many, *csv)
    summary = json.loads(out) if code == 0 else {}
    print(f"CSV: {per_ticket} events per ticket; 1,000 tickets: {out.strip() or err.strip()}")
    if per_ticket == 0 or summary.get("accepted") != 1000 * per_ticket or summary.get("duplicates") != 0:
        failures.append(f"CSV in chunks: {out or err} (expected {1000 * per_ticket} accepted, no duplicates)")

    code, out, err = ingest(args, port, "csv-scattered", scattered, *csv)
    print(f"scattered CSV: exit {code}: {err.strip()}")
    if code == 0 or "sort it by ticket" not in err or f"line {len(rows) * 600 + 2}:" not in err:
        failures.append(f"a scattered CSV: exit {code}, {err.strip()}")

    document = os.path.join(tmp, "export.json")
    with open(document, "w") as f:
        f.write('{"result": [' + ",".join(['{"number": "INC0000001", "short_description": "' + "x" * 1000 + '"}']
                                          * 5000) + "]}")
    code, out, err = ingest(args, port, "doc", document, "--adapter", "servicenow")
    print(f"5 MB document: exit {code}: {err.strip()}")
    if code == 0 or "IngestRaw size limit" not in err:
        failures.append(f"a 5 MB document: exit {code}, {err.strip()}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rapportd")
    parser.add_argument("rapport")
    parser.add_argument("generator")
    parser.add_argument("--mb", type=float, default=30)
    parser.add_argument("--max-rss-mb", type=float, default=32, help="peak RSS allowed to the CLI")
    parser.add_argument("--max-first-ack", type=float, default=5.0, help="seconds")
    parser.add_argument("--csv", help="a servicenow-incident-log CSV whose first rows are one ticket")
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
            failures = check_other_formats(args, tmp, port) if args.csv else []
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        rss_mb = usage.ru_maxrss / 1024
        print(f"{size_mb:.1f} MB, {events} events; CLI peak RSS {rss_mb:.1f} MB; output {output.decode().strip()}")
        if cli.returncode != 0:
            print(f"rapport ingest exited {cli.returncode}", file=sys.stderr)
            return 1
        summary = json.loads(output)
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
