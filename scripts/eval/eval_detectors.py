#!/usr/bin/python3
"""Runs the detectors on the real incident logs in eval/ and prints the
figures of docs/detectors.md (markdown).

    scripts/eval-detectors            # builds, then runs this

Starts rapportd on a temporary store and a free loopback port, replays the
ServiceNow incident event log (UCI) and the BPI Challenge 2013 log as
canonical events (scripts/eval/logs_to_events.py), then reads findings and
tickets back over gRPC with the rapport CLI.
"""
import collections
import csv
import json
import os
import subprocess
import sys
import time

from rapport_eval import EVAL, HERE, rapport, temporary_server

LOGS = [("uci", "servicenow", os.path.join(EVAL, "incidents", "incident_event_log.dev.csv")),
        ("bpi", "bpi2013", os.path.join(EVAL, "bpi2013", "bpi2013_incidents.dev.csv"))]


def main():
    results = {}
    with temporary_server() as (server, work):
        for tenant, fmt, path in LOGS:
            events = os.path.join(work, f"{tenant}.jsonl")
            with open(events, "w") as out:
                subprocess.run(["/usr/bin/python3", os.path.join(HERE, "logs_to_events.py"), fmt, path,
                                "--tenant", tenant], stdout=out, check=True, stderr=subprocess.DEVNULL)
            started = time.time()
            summary = json.loads(rapport(server, "ingest", "--json", events))
            summary["seconds"] = round(time.time() - started, 1)
            findings = json.loads(rapport(server, "findings", "--tenant", tenant, "--limit", "1000000", "--json"))
            tickets = json.loads(rapport(server, "tickets", "--tenant", tenant, "--limit", "1000000", "--json"))
            results[tenant] = (summary, findings.get("findings", []), tickets.get("tickets", []))

    print("## Replay\n")
    print("| log | events | accepted | duplicates | rejected | tickets | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tenant, (summary, _, tickets) in results.items():
        print(f"| {tenant} | {summary['events_read']} | {summary['accepted']} | {summary['duplicates']} | "
              f"{summary['rejected']} | {len(tickets)} | {summary['seconds']} |")

    print("\n## Findings per kind\n")
    kinds = sorted({f["kind"] for _, f_list, _ in results.values() for f in f_list})
    print("| finding | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for kind in kinds:
        counts = [sum(1 for f in results[t][1] if f["kind"] == kind) for t in results]
        tickets = [len({f["ticket_id"] for f in results[t][1] if f["kind"] == kind}) for t in results]
        cells = [f"{c} ({n} tickets)" for c, n in zip(counts, tickets)]
        print(f"| {kind.replace('FINDING_KIND_', '')} | " + " | ".join(cells) + " |")
    for tenant in results:
        print(f"| tickets in {tenant} | " + " | ".join(str(len(results[t][2])) if t == tenant else "" for t in results) + " |")

    print("\n## Findings per team (the ten teams with most findings)\n")
    for tenant, (_, f_list, t_list) in results.items():
        per_team = collections.defaultdict(collections.Counter)
        tickets_per_team = collections.Counter(t.get("assignee", {}).get("team", "") for t in t_list)
        for f in f_list:
            per_team[f.get("team", "")][f["kind"].replace("FINDING_KIND_", "")] += 1
        print(f"\n{tenant}:\n")
        print("| team | tickets | findings | per ticket | most common |")
        print("|---|---:|---:|---:|---|")
        ranked = sorted(per_team.items(), key=lambda kv: -sum(kv[1].values()))[:10]
        for team, counter in ranked:
            total = sum(counter.values())
            n = tickets_per_team.get(team, 0)
            top = ", ".join(f"{k} {v}" for k, v in counter.most_common(3))
            print(f"| {team or '(none)'} | {n} | {total} | {total / n if n else 0:.2f} | {top} |")

    # The ServiceNow log's own counters, from the last snapshot of each incident.
    last = {}
    with open(LOGS[0][2], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["number"] not in last or int(row["sys_mod_count"]) >= int(last[row["number"]]["sys_mod_count"]):
                last[row["number"]] = row
    ours = {t["ticket_id"]: t for t in results["uci"][2]}
    print("\n## Reopens and reassignments against the ServiceNow log's own counters\n")
    print("| counter | incidents | agree | agreement | Rapport higher | Rapport lower |")
    print("|---|---:|---:|---:|---:|---:|")
    for ours_field, log_field in (("reopen_count", "reopen_count"), ("reassignment_count", "reassignment_count")):
        agree = higher = lower = 0
        for number, row in last.items():
            mine = int(ours.get(number, {}).get(ours_field, 0))
            theirs = int(row[log_field])
            agree += mine == theirs
            higher += mine > theirs
            lower += mine < theirs
        n = len(last)
        print(f"| {log_field} | {n} | {agree} | {100 * agree / n:.1f}% | {higher} | {lower} |")

    print("\n## One example of each kind\n")
    for tenant, (_, f_list, _) in results.items():
        shown = set()
        for f in f_list:
            if f["kind"] in shown:
                continue
            shown.add(f["kind"])
            evidence = "; ".join(f"{e.get('note', '')} ({e.get('event_id', '')}, {e.get('at', '')})"
                                 for e in f.get("evidence", [])[:3])
            print(f"- **{f['kind'].replace('FINDING_KIND_', '')}** ({tenant}, {f['ticket_id']}, team "
                  f"{f.get('team', '')}, agent {f.get('agent_id', '')}): {f['summary']}"
                  + (f" — evidence: {evidence}" if evidence else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
