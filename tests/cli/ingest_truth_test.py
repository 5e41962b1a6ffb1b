#!/usr/bin/python3
"""`rapport ingest` and `rapport ticket` tell the truth, against a real rapportd
on a free loopback port:

- a file of which nothing is accepted and something rejected exits non-zero;
  one with a good event exits 0;
- conflicting duplicates (same event id, other content), in one file or
  across two, are counted in the summary (text and --json);
- an error in a single-payload file (one JSON document) names its record,
  never "line 1";
- a CSV whose first rows are bad loads its good rows, each bad row refused
  with its own line; a CSV of bad rows only counts every row and exits 1;
- `rapport ticket` shows the team reassignment count and, where the CSV's own
  counters are higher than the changes the rows show, that they came from the
  source;
- with the eval data present: the UCI incident log in the form the archive
  publishes it loads through the shipped mapping as the re-saved copy does.

    ingest_truth_test.py RAPPORTD RAPPORT FIXTURES SCRIPTS_EVAL
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile


from loopback import free_port, wait_listening  # noqa: E402


class Checks:
    def __init__(self, rapport, server, tmp):
        self.rapport, self.server, self.tmp, self.failures = rapport, server, tmp, []

    def run(self, *args):
        done = subprocess.run([self.rapport, args[0], "--server", self.server, *args[1:]], capture_output=True,
                              text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def expect(self, condition, what, detail):
        print(("ok    " if condition else "FAIL  ") + what)
        if not condition:
            self.failures.append(f"{what}: {detail}")


def event(ticket, event_id, minute, **fields):
    e = {"ticket_id": ticket, "event_id": event_id, "occurred_at": f"2026-09-01T08:{minute:02d}:00Z",
         "source": "test", "kind": "EVENT_KIND_STATUS_CHANGED", "status": "TICKET_STATUS_IN_PROGRESS",
         "actor": {"id": "alice", "role": "ACTOR_ROLE_AGENT"}}
    e.update(fields)
    return json.dumps(e)


def check_exit_codes(c):
    bad = event("T1", "bad-1", 1, status="TICKET_STATUS_NOPE") + "\n" + event("T1", "bad-2", 2, occurred_at="") + "\n"
    code, out, err = c.run("ingest", "--tenant", "exit", c.write("bad.jsonl", bad))
    c.expect(code != 0 and "nothing accepted, 2 rejected" in err, "nothing accepted, all rejected: exit non-zero",
             f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "exit", "--json", c.write("bad.jsonl", bad))
    c.expect(code != 0 and json.loads(out)["rejected"] == 2, "the same with --json: exit non-zero, summary printed",
             f"exit {code}, {out} {err}")
    mixed = bad + event("T1", "good-1", 3, kind="EVENT_KIND_TICKET_CREATED", status="TICKET_STATUS_NEW") + "\n"
    code, out, err = c.run("ingest", "--tenant", "exit", c.write("mixed.jsonl", mixed))
    c.expect(code == 0, "one event accepted among rejections: exit 0", f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "exit", c.write("mixed.jsonl", mixed))
    c.expect(code != 0, "a replay of it (duplicates and rejections, nothing accepted): exit non-zero",
             f"exit {code}, {out} {err}")


def check_conflicts(c):
    created = event("T2", "c-1", 1, kind="EVENT_KIND_TICKET_CREATED", status="TICKET_STATUS_NEW")
    changed = event("T2", "c-1", 1, kind="EVENT_KIND_TICKET_CREATED", status="TICKET_STATUS_NEW", source="other")
    code, out, err = c.run("ingest", "--tenant", "conflicts", c.write("one.jsonl", created + "\n" + changed + "\n"))
    c.expect(code == 0 and re.search(r"conflicts +1\n", out) and re.search(r"duplicates +1\n", out),
             "a conflicting duplicate in one file: counted in the summary", f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "conflicts", "--json", c.write("two.jsonl", changed + "\n"))
    summary = json.loads(out) if out else {}
    c.expect(summary.get("conflicts") == 1 and summary.get("duplicates") == 1,
             "a conflicting duplicate across files: counted in --json", f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "conflicts", "--json", c.write("same.jsonl", created + "\n"))
    summary = json.loads(out) if out else {}
    c.expect(code == 0 and summary.get("conflicts") == 0 and summary.get("duplicates") == 1,
             "an identical re-send: a duplicate, no conflict, exit 0", f"exit {code}, {out} {err}")


def check_single_payload(c, fixtures):
    with open(os.path.join(fixtures, "servicenow", "incident_bundle.json")) as f:
        bundle = json.load(f)
    bundle["result"].append(5)
    code, out, err = c.run("ingest", "--tenant", "doc", "--adapter", "servicenow", c.write("bundle.json",
                                                                                           json.dumps(bundle)))
    c.expect(code == 0 and re.search(r"record \d+ of the payload: ", out) and not re.search(r"line \d+:", out),
             "a bad record of one JSON document is named by its record, not a line", f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "doc", "--adapter", "servicenow", c.write("broken.json", '{"result": ['))
    c.expect(code != 0 and "the payload: " in out and not re.search(r"^ *line \d+:", out, re.M),
             "a JSON document that does not parse: the payload is named, exit non-zero", f"exit {code}, {out} {err}")


def check_csv(c, fixtures):
    with open(os.path.join(fixtures, "csv", "incident_log.csv")) as f:
        header, *rows = f.read().splitlines()
    good = [r for r in rows if r.startswith("INC0000900,")]
    bad_time = good[0].replace("INC0000900", "INC0000777").replace("01-09-2026 08:01", "yesterday")
    bad_count = good[0].replace("INC0000900", "INC0000778").replace(",TRUE,0,0,0,", ",TRUE,many,0,0,")
    csv = ["--adapter", "csv", "--mapping", "servicenow-incident-log"]
    code, out, err = c.run("ingest", "--tenant", "csv", *csv, c.write("first_bad.csv",
                                                                       "\n".join([header, bad_time, bad_count, *good]) + "\n"))
    c.expect(code == 0 and re.search(r"accepted +7\n", out) and re.search(r"rejected +2\n", out)
             and "line 2: column 'sys_updated_at'" in out and "line 3: column 'reassignment_count'" in out,
             "a CSV whose first rows are bad loads its good rows, each bad row with its line", f"exit {code}, {out} {err}")
    many_bad = [bad_time.replace("INC0000777", f"INC9{n:06d}") for n in range(30)]
    code, out, err = c.run("ingest", "--tenant", "csv-bad", *csv, c.write("all_bad.csv", "\n".join([header, *many_bad]) + "\n"))
    c.expect(code != 0 and re.search(r"rejected +30\n", out) and "… and 25 more" in out and "line 31:" not in out,
             "a CSV of bad rows only: every row counted, five shown, exit non-zero", f"exit {code}, {out} {err}")

    # The last snapshot states a reopen and three team changes the rows do not
    # show: the source's counters are evidence of changes between snapshots.
    stated = good[:-1] + [good[-1].replace(",TRUE,1,0,3,", ",TRUE,3,1,3,")]
    code, out, err = c.run("ingest", "--tenant", "counts", *csv, c.write("stated.csv", "\n".join([header, *stated]) + "\n"))
    code, out, err = c.run("ticket", "--tenant", "counts", "--json", "INC0000900")
    ticket = json.loads(out) if code == 0 else {}
    c.expect(ticket.get("team_reassignment_count") == 3
             and ticket.get("reopen_count") == 1
             and sorted(ticket.get("counts_from_source", [])) ==
             ["reassignment_count", "reopen_count", "team_reassignment_count"],
             "GetTicket reconciles with the source's counters and says so", f"exit {code}, {out} {err}")
    code, out, err = c.run("ticket", "--tenant", "counts", "INC0000900")
    c.expect(code == 0 and "between teams 3x" in out and "from the source: reopen_count" in out,
             "rapport ticket shows both counts and where they came from", f"exit {code}, {out} {err}")
    code, out, err = c.run("ingest", "--tenant", "seen", *csv, c.write("seen.csv", "\n".join([header, *good]) + "\n"))
    code, out, err = c.run("ticket", "--tenant", "seen", "--json", "INC0000900")
    ticket = json.loads(out) if code == 0 else {}
    c.expect(ticket.get("team_reassignment_count") == 1
             and not ticket.get("counts_from_source"),
             "counts the rows show, equal to the source's: nothing from the source", f"exit {code}, {out} {err}")


def check_uci_published(c, scripts_eval):
    sys.path.insert(0, scripts_eval)
    import uci_published  # noqa: E402  (scripts/eval is passed on the command line)
    if not os.path.exists(uci_published.DEV_LOG):
        print("skip  the UCI log as published (eval data not present)")
        return
    published = os.path.join(c.tmp, "incident_event_log.csv")
    uci_published.main(["uci_published.py", published])
    csv = ["--adapter", "csv", "--mapping", "servicenow-incident-log", "--json"]
    code_a, out_a, err_a = c.run("ingest", "--tenant", "uci-resaved", *csv, uci_published.DEV_LOG)
    code_b, out_b, err_b = c.run("ingest", "--tenant", "uci-published", *csv, published)
    a = json.loads(out_a) if out_a else {}
    b = json.loads(out_b) if out_b else {}
    c.expect(code_b == 0 and b.get("rejected") == 0 and b.get("accepted", 0) > 2800
             and b.get("accepted") == a.get("accepted"),
             "the UCI log as published loads through the shipped mapping as the re-saved copy does",
             f"exit {code_a}/{code_b}: {out_a} {err_a} / {out_b} {err_b}")


def main():
    rapportd, rapport, fixtures, scripts_eval = sys.argv[1:5]
    with tempfile.TemporaryDirectory(prefix="rapport-ingest-truth-") as tmp:
        port = free_port()
        log = open(os.path.join(tmp, "rapportd.log"), "w")
        server = subprocess.Popen([rapportd, f"--listen=127.0.0.1:{port}", f"--data-dir={os.path.join(tmp, 'data')}"],
                                  stderr=log)
        try:
            if not wait_listening(port):
                print("rapportd did not start", file=sys.stderr)
                return 1
            c = Checks(rapport, f"127.0.0.1:{port}", tmp)
            check_exit_codes(c)
            check_conflicts(c)
            check_single_payload(c, fixtures)
            check_csv(c, fixtures)
            check_uci_published(c, scripts_eval)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    for f in c.failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
