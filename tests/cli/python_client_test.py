#!/usr/bin/python3
"""The Python client (clients/python/rapport_client.py) against a real
rapportd on a free loopback port with a temp data dir:

- with no stubs yet, the client generates them (gen_stubs.generate), and
  `worst-teams` of a tenant with no events says so (NOT_FOUND, exit 1);
- `ingest` streams the bundled sample (data/samples/events.jsonl) with one
  bad event put in the middle, through a FIFO so the test knows where the
  stream is: after the first part is stored the server is stopped (SIGSTOP),
  the next batches are sent to it un-acked, it is killed (SIGKILL) and,
  a second later, started again on the same port and data dir; the client
  reconnects, re-sends the un-acked batches and streams the rest. Every line
  is acked once, the bad event is reported with its line, event id and code
  (and the exit code says so), its neighbours are stored, and the store
  holds every good event once (GetStats and `rapport stats`);
- the sample file streamed again is all duplicates: nothing stored twice;
- lines the client cannot send (not JSON, another tenant) are reported with
  their line and code, and the good line beside them is stored;
- `worst-teams` lists teams in ascending score order, each score what
  GetScore says for the team (all time and --window 30d, whose window is
  checked against the tenant's watermark), --limit cuts the list, and a bad
  --window is a usage error.

The test exits 77 (skipped) only when python3-grpc-tools is missing.

    python_client_test.py RAPPORTD RAPPORT CLIENT SAMPLE.jsonl [--batch-size 20] [--in-flight 8]
"""
import argparse
import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

from loopback import free_port, wait_listening  # noqa: E402

BAD_ID = "python-client-bad-event"


class Server:
    """rapportd on a fixed port and data dir, started again as needed."""

    def __init__(self, binary, port, data_dir, log_path):
        self.binary, self.port, self.data_dir = binary, port, data_dir
        self.log = open(log_path, "a")
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.binary, f"--listen=127.0.0.1:{self.port}",
                                         f"--data-dir={self.data_dir}"], stderr=self.log)
        return wait_listening(self.port)

    def kill(self):
        """SIGKILL, also when stopped."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, condition, what, detail=""):
        print(("ok    " if condition else "FAIL  ") + what, flush=True)
        if not condition:
            self.failures.append(f"{what}: {detail}")
        return condition


def run_client(args, target, stubs, *command, timeout=180):
    done = subprocess.run([sys.executable, args.client, *command, "--target", target, "--stubs", stubs],
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def unread_bytes(fd):
    """Bytes written to a pipe and not yet read from it."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def connect(pb, target):
    """A channel of its own: channels share connections unless told not to,
    and one that saw the killed server would fail its next call."""
    return pb["grpc"].insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


def stored_events(pb, channel):
    stats = pb["admin_grpc"].AdminServiceStub(channel).GetStats(pb["admin"].GetStatsRequest(), timeout=30)
    return sum(t.events for t in stats.tenants)


def wait_until(condition, seconds):
    """Polls condition() every 50 ms for at most `seconds`; its last value."""
    until = time.monotonic() + seconds
    for _ in range(int(seconds / 0.05) + 1):
        value = condition()
        if value or time.monotonic() > until:
            return value
        time.sleep(0.05)
    return condition()


def open_fifo(path, seconds):
    """The FIFO opened for writing once its reader has opened it; None when
    none does within `seconds`."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        return os.fdopen(fd, "w")
    return None


def write_within(w, text, seconds):
    """Writes text to the pipe; False when the reader has not taken it in
    `seconds` (or went away)."""
    failed = []

    def write():
        try:
            w.write(text)
            w.flush()
        except OSError as e:  # EPIPE: the client is gone
            failed.append(e)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(seconds)
    return not writer.is_alive() and not failed


def timeline_ids(pb, channel, tenant, ticket):
    stub = pb["experience_grpc"].ExperienceServiceStub(channel)
    request = pb["experience"].GetTicketRequest(tenant=tenant, ticket_id=ticket, page_size=1000)
    ids = []
    for _ in range(100):
        page = stub.GetTicket(request, timeout=30)
        ids += [e.event.event_id for e in page.timeline]
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    return ids


def json_summary(c, out, err, what):
    """The client's --json summary; None, with `what` failed, when it printed none."""
    try:
        return json.loads(out)
    except ValueError:
        c.expect(False, what, out + err)
        return None


def check_restart_mid_stream(c, args, server, target, stubs, pb, channel, tmp, lines, bad_at):
    """Streams `lines` through a FIFO, stopping and killing the server with
    batches un-acked; returns nothing, records failures in c."""
    fifo = os.path.join(tmp, "stream.jsonl")
    os.mkfifo(fifo)
    out, err = open(os.path.join(tmp, "ingest.out"), "w+"), open(os.path.join(tmp, "ingest.err"), "w+")
    client = subprocess.Popen([sys.executable, args.client, "ingest", fifo, "--batch-size", str(args.batch_size),
                               "--in-flight", str(args.in_flight), "--json", "--target", target, "--stubs", stubs],
                              stdout=out, stderr=err, text=True)
    first = 100 * args.batch_size               # stored before the server stops
    second = first + args.in_flight * args.batch_size  # sent to the stopped server, un-acked
    try:
        w = open_fifo(fifo, 60)
        if not c.expect(w is not None, "the client opens its input"):
            return
        with w:
            c.expect(write_within(w, "".join(lines[:first]), 60), f"the client reads the first {first} lines")
            stored = wait_until(lambda: stored_events(pb, channel) >= first, 60)
            c.expect(stored and stored_events(pb, channel) == first,
                     f"the first {first} lines are stored before the server is stopped",
                     f"{stored_events(pb, channel)} stored")
            time.sleep(0.3)  # the last ack on its way to the client
            os.kill(server.process.pid, signal.SIGSTOP)
            c.expect(write_within(w, "".join(lines[first:second]), 30), "the pipe takes the next lines")
            drained = wait_until(lambda: unread_bytes(w.fileno()) == 0, 30)
            c.expect(drained, f"the client took lines {first + 1}..{second} while the server was stopped",
                     f"{unread_bytes(w.fileno())} bytes unread")
            time.sleep(0.5)  # sent into the stopped server's socket
            server.kill()
            print(f"rapportd killed with lines {first + 1}..{second} un-acked (the bad event on line {bad_at + 1})")
            time.sleep(1.0)  # the client's reconnects are refused meanwhile
            c.expect(server.start(), "rapportd starts again on the same port and data dir")
            c.expect(write_within(w, "".join(lines[second:]), 120), "the client reads the rest of the lines")
        code = client.wait(timeout=120)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    print(f"ingest through the restart: exit {code}\n  stdout: {stdout.strip()}\n  stderr: "
          + "\n          ".join(stderr.strip().splitlines()[:12]))
    summary = json_summary(c, stdout, stderr, "the client printed a JSON summary")
    if summary is None:
        return
    n = len(lines)
    c.expect(code == 1, "exit 1: an event was rejected", f"exit {code}")
    c.expect(summary["error"] is None, "the stream finished", summary["error"])
    c.expect(summary["events_read"] == n and summary["events_acked"] == n,
             f"every line acked: {n} events read and acked", f"{summary}")
    c.expect(summary["accepted"] + summary["duplicates"] + summary["rejected"] == n and summary["conflicts"] == 0,
             "the acks account for every event once (accepted + duplicates + rejected)", f"{summary}")
    c.expect(summary["rejected"] == 1 and summary["rejected_by_code"] == {"OUT_OF_RANGE": 1},
             "one event rejected, OUT_OF_RANGE", f"{summary['rejected_by_code']}")
    c.expect(summary["reconnects"] >= 1 and summary["resent_batches"] >= 1,
             f"reconnected ({summary['reconnects']}) and re-sent un-acked batches ({summary['resent_batches']})",
             f"{summary}")
    c.expect("stream broken (UNAVAILABLE" in stderr, "the broken stream is reported on stderr", stderr[-2000:])
    reported = re.findall(rf"rejected line {bad_at + 1} \(event {BAD_ID}\): OUT_OF_RANGE: .*1985", stderr)
    c.expect(len(reported) == 1, f"the rejection is printed once with its line ({bad_at + 1}), event id and code",
             stderr[-2000:])

    channel = connect(pb, target)  # the old one's connection died with the server
    stored = stored_events(pb, channel)
    c.expect(stored == n - 1, f"GetStats: {n - 1} events stored, each good line once", f"{stored} stored")
    done = subprocess.run([args.rapport, "stats", "--json", "--server", target], capture_output=True, text=True,
                          timeout=60)
    cli = sum(int(t.get("events", 0)) for t in json.loads(done.stdout).get("tenants", [])) if done.returncode == 0 else -1
    c.expect(cli == n - 1, f"rapport stats agrees: {n - 1} events", f"{cli}: {done.stdout} {done.stderr}")
    for at in (bad_at - 1, bad_at + 1):
        e = json.loads(lines[at])
        ids = timeline_ids(pb, channel, e["tenant"], e["ticket_id"])
        c.expect(ids.count(e["event_id"]) == 1, f"the bad event's neighbour on line {at + 1} is stored once",
                 f"{e['event_id']} not in {e['ticket_id']}'s timeline")
    bad = json.loads(lines[bad_at])
    c.expect(BAD_ID not in timeline_ids(pb, channel, bad["tenant"], bad["ticket_id"]),
             "the bad event is not stored")
    channel.close()


def check_replay(c, args, target, stubs, pb, channel, sample_lines):
    code, out, err = run_client(args, target, stubs, "ingest", args.sample, "--json", "--quiet")
    s = json_summary(c, out, err, "the replay printed a JSON summary")
    if s is None:
        return
    n = len(sample_lines)
    print(f"replay of {args.sample}: exit {code}: {out.strip()}")
    c.expect(code == 0 and s["events_acked"] == n and s["duplicates"] == n and s["accepted"] == 0
             and s["rejected"] == 0, f"the sample streamed again: {n} acked, all duplicates, exit 0", out + err)
    c.expect(stored_events(pb, channel) == n, "nothing stored twice", f"{stored_events(pb, channel)}")


def check_client_side_rejections(c, args, target, stubs, tmp):
    path = os.path.join(tmp, "mixed.jsonl")
    with open(path, "w") as f:
        f.write('{"ticket_id":"P-1","event_id":"pc-1","occurred_at":"2026-09-01T08:00:00Z",'
                '"kind":"ticket_created","status":"new","priority":"high"}\n')
        f.write("{this is not json\n")
        f.write('{"tenant":"other","ticket_id":"P-1","event_id":"pc-3","occurred_at":"2026-09-01T08:01:00Z",'
                '"kind":"comment_added","comment":{"text":"hello","public":true}}\n')
        f.write("# a comment, skipped\n\n")
        f.write('{"ticket_id":"P-1","event_id":"pc-6","occurred_at":"2026-09-01T08:02:00Z",'
                '"kind":"status_changed","status":"in_progress","colour":"red"}\n')
    code, out, err = run_client(args, target, stubs, "ingest", path, "--tenant", "pyclient")
    print(f"client-side rejections: exit {code}\n{out}{err}")
    accepted = re.search(r"accepted\s+(\d+)", out)
    c.expect(code == 1 and accepted and accepted.group(1) == "1", "a file with unsendable lines: 1 accepted, exit 1",
             f"exit {code}: {out} {err}")
    for needle in ("rejected line 2: INVALID_JSON: not a JSON object",
                   "rejected line 3 (event pc-3): INVALID_VALUE: event names tenant 'other' but --tenant is 'pyclient'",
                   "rejected line 6: INVALID_JSON: not a TicketEvent"):
        c.expect(needle in err, f"reported: {needle}", err)


def check_worst_teams(c, args, target, stubs, pb, channel):
    experience = pb["experience_grpc"].ExperienceServiceStub(channel)

    def get_score(team, window=None):
        request = pb["scores"].GetScoreRequest(
            tenant="acme", scope=pb["findings"].Scope(kind=pb["findings"].SCOPE_KIND_TEAM, id=team))
        if window is not None:
            request.window.CopyFrom(window)
        return experience.GetScore(request, timeout=30)

    code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme", "--json")
    ranking = json.loads(out) if code == 0 else {"teams": []}
    teams = ranking["teams"]
    print("worst-teams (all time): " + ", ".join(f"{t['team']} {t['score']:+.2f}" for t in teams))
    c.expect(code == 0 and len(teams) >= 2 and ranking["total"] == len(teams),
             "worst-teams --json lists the tenant's teams", f"exit {code}: {out} {err}")
    scores = [t["score"] for t in teams]
    c.expect(scores == sorted(scores), "in ascending score order", f"{scores}")
    reports = {t["team"]: get_score(t["team"]) for t in teams}
    c.expect(all(abs(reports[t["team"]].score - t["score"]) < 1e-9 and reports[t["team"]].tickets == t["tickets"]
                 for t in teams), "each team's score and tickets are GetScore's",
             f"{[(t['team'], t['score'], reports[t['team']].score) for t in teams]}")

    code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme")
    print(out + err)
    rows = []
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells and cells[0].isdigit():
            rows.append(cells)
    c.expect(code == 0 and [r[1] for r in rows] == [t["team"] for t in teams]
             and all(r[2] == f"{reports[r[1]].score:+.1f}" and r[6] == str(reports[r[1]].tickets) for r in rows),
             "the table: the same teams in the same order, scores and tickets as GetScore's",
             f"{rows}")

    stats = pb["admin_grpc"].AdminServiceStub(channel).GetStats(pb["admin"].GetStatsRequest(tenant="acme"),
                                                                timeout=30)
    day = 86_400_000_000
    end = (stats.tenants[0].watermark.ToMicroseconds() // day + 1) * day
    window = pb["events"].Window()
    window.start.FromMicroseconds(end - 30 * day)
    window.end.FromMicroseconds(end)
    code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme", "--window", "30d", "--json")
    ranking = json.loads(out) if code == 0 else {"teams": [], "window": None}
    got = ranking["teams"]
    c.expect(ranking["window"] == {"start": window.start.ToJsonString(), "end": window.end.ToJsonString()},
             "--window 30d: the 30 whole days up to the tenant's latest event",
             f"{ranking['window']} against {window.start.ToJsonString()}..{window.end.ToJsonString()}")
    c.expect(len(got) >= 2 and [t["score"] for t in got] == sorted(t["score"] for t in got)
             and all(abs(get_score(t["team"], window).score - t["score"]) < 1e-9 for t in got),
             "--window 30d: ascending, each score GetScore's over that window", f"{got}")

    code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme", "--limit", "2", "--json")
    limited = [t["team"] for t in json.loads(out)["teams"]] if code == 0 else []
    c.expect(limited == [t["team"] for t in teams[:2]], "--limit 2: the two worst", f"{limited}")
    code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme", "--window", "30x")
    c.expect(code == 2 and "'30x' is not a window" in err, "--window 30x: a usage error", f"exit {code}: {err}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rapportd")
    parser.add_argument("rapport")
    parser.add_argument("client")
    parser.add_argument("sample")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args()
    try:
        import grpc_tools.protoc  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: python3-grpc-tools is not installed ({e})")
        return 77

    with open(args.sample) as f:
        sample_lines = [line if line.endswith("\n") else line + "\n" for line in f if line.strip()]
    # One bad event among the batches the server is stopped with: a copy of
    # its neighbour from before 1990.
    bad_at = 100 * args.batch_size + args.batch_size // 2
    bad = json.loads(sample_lines[bad_at])
    bad.update(event_id=BAD_ID, occurred_at="1985-01-01T00:00:00Z")
    lines = sample_lines[:bad_at] + [json.dumps(bad) + "\n"] + sample_lines[bad_at:]

    c = Checks()
    with tempfile.TemporaryDirectory(prefix="rapport-python-client-") as tmp:
        stubs = os.path.join(tmp, "stubs")  # none yet: the client makes them
        port = free_port()
        target = f"127.0.0.1:{port}"
        server = Server(args.rapportd, port, os.path.join(tmp, "data"), os.path.join(tmp, "rapportd.log"))
        try:
            if not server.start():
                print("rapportd did not start", file=sys.stderr)
                return 1
            code, out, err = run_client(args, target, stubs, "worst-teams", "--tenant", "acme")
            generated = os.path.exists(os.path.join(stubs, "rapport", "v1", "ingest_pb2_grpc.py"))
            c.expect(code == 1 and generated and "NOT_FOUND: tenant 'acme' has no events" in err,
                     "stubs generated on first use; worst-teams of a tenant with no events: NOT_FOUND, exit 1",
                     f"exit {code}: {out} {err}")
            if not generated:
                raise RuntimeError("no stubs: nothing more to test")
            sys.path.insert(0, stubs)
            import grpc
            from rapport.v1 import (admin_pb2, admin_pb2_grpc, events_pb2, experience_pb2, experience_pb2_grpc,
                                    findings_pb2, scores_pb2)
            pb = {"grpc": grpc, "admin": admin_pb2, "admin_grpc": admin_pb2_grpc, "events": events_pb2,
                  "experience": experience_pb2, "experience_grpc": experience_pb2_grpc, "findings": findings_pb2,
                  "scores": scores_pb2}
            with connect(pb, target) as channel:
                check_restart_mid_stream(c, args, server, target, stubs, pb, channel, tmp, lines, bad_at)
            with connect(pb, target) as channel:  # a fresh one after the restart
                check_replay(c, args, target, stubs, pb, channel, sample_lines)
                check_client_side_rejections(c, args, target, stubs, tmp)
                check_worst_teams(c, args, target, stubs, pb, channel)
        except Exception as e:  # an RPC error or a timeout: say which, as a failure
            traceback.print_exc()
            c.failures.append(f"{type(e).__name__}: {getattr(e, 'details', lambda: e)()}")
        finally:
            server.stop()
        for f in c.failures:
            print("FAILED:", f, file=sys.stderr)
        return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
