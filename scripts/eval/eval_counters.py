#!/usr/bin/python3
"""Agreement of Rapport's ticket counts with the ServiceNow incident log's own
counters, printed as the table of docs/detectors.md (markdown).

    scripts/eval-counters            # builds, then runs this

Rewrites the dev copy of the UCI log into the form the archive publishes it
in (scripts/eval/uci_published.py), starts rapportd on a temporary store and
loads the log with `rapport ingest --adapter csv` twice: through the shipped
servicenow-incident-log mapping without its rapport.source.* attributes (the
changes the snapshots show: "before"), and through the shipped mapping as it
is (reconciled with the log's counters: "after"). The re-saved copy is loaded
too, to show both forms read the same. Counts are read back with
`rapport tickets --json` and compared, per incident, with the
reassignment_count and reopen_count of its last snapshot (highest
sys_mod_count).
"""
import csv
import json
import os
import sys

from rapport_eval import ROOT, rapport, temporary_server
import uci_published

MAPPING = os.path.join(ROOT, "data", "csv-mappings", "servicenow-incident-log.json")


def field(ticket, name):
    """A count from `rapport tickets --json` (proto3 JSON leaves out zeros)."""
    return int(ticket.get(name, 0))


def load(server, tenant, path, mapping):
    summary = json.loads(rapport(server, "ingest", "--json", "--tenant", tenant, "--adapter", "csv", "--mapping",
                                 mapping, path))
    tickets = json.loads(rapport(server, "tickets", "--tenant", tenant, "--limit", "1000000", "--json"))
    return summary, {t["ticket_id"]: t for t in tickets.get("tickets", [])}


def main():
    last = {}
    with open(uci_published.DEV_LOG, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["number"] not in last or int(row["sys_mod_count"]) >= int(last[row["number"]]["sys_mod_count"]):
                last[row["number"]] = row
    with open(MAPPING) as f:
        mapping = json.load(f)
    with temporary_server() as (server, work):
        published = os.path.join(work, "incident_event_log.csv")
        uci_published.main(["uci_published.py", published])
        seen_only = dict(mapping, attributes={k: v for k, v in mapping.get("attributes", {}).items()
                                              if not k.startswith("rapport.source.")})
        seen_mapping = os.path.join(work, "without-source-counters.json")
        with open(seen_mapping, "w") as f:
            json.dump(seen_only, f)
        runs = {"before": load(server, "before", published, seen_mapping),
                "after": load(server, "after", published, MAPPING),
                "re-saved copy, after": load(server, "resaved", uci_published.DEV_LOG, MAPPING)}

    print(f"{len(last)} incidents.\n")
    print("| load | events | accepted | duplicates | conflicts | rejected | tickets |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (s, tickets) in runs.items():
        label = name if name.startswith("re-saved") else f"published form, {name}"
        print(f"| {label} | {s['events_read']} | {s['accepted']} | {s['duplicates']} | {s['conflicts']} | "
              f"{s['rejected']} | {len(tickets)} |")

    print("\n| Rapport's count | the log's column | reconciled | incidents | agree | agreement | Rapport higher | "
          "Rapport lower |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    rows = [("reassignment_count (every change of assignee)", "reassignment_count", "reassignment_count", "before"),
            ("team_reassignment_count", "team_reassignment_count", "reassignment_count", "before"),
            ("team_reassignment_count", "team_reassignment_count", "reassignment_count", "after"),
            ("reopen_count", "reopen_count", "reopen_count", "before"),
            ("reopen_count", "reopen_count", "reopen_count", "after")]
    for label, ours, theirs, run in rows:
        tickets = runs[run][1]
        agree = higher = lower = 0
        for number, row in last.items():
            mine, log = field(tickets.get(number, {}), ours), int(row[theirs])
            agree += mine == log
            higher += mine > log
            lower += mine < log
        n = len(last)
        print(f"| {label} | {theirs} | {'yes' if run == 'after' else 'no'} | {n} | {agree} | {100 * agree / n:.1f}% | "
              f"{higher} | {lower} |")
    from_source = sum(1 for t in runs["after"][1].values() if t.get("counts_from_source"))
    print(f"\nIncidents with a count taken from the source (counts_from_source): {from_source} of {len(last)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
