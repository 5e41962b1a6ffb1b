#!/usr/bin/python3
"""Turns the two real incident logs in eval/ into canonical events (JSON lines),
so they replay through `rapport ingest` like any other stream.

    scripts/eval/logs_to_events.py servicenow INCIDENT_LOG.csv --tenant T > events.jsonl
    scripts/eval/logs_to_events.py bpi2013 BPI_LOG.csv --tenant T > events.jsonl

ServiceNow incident event log (UCI dataset 498): every row is a snapshot of
an incident after an update. The first row of an incident opens it (at
opened_at); every row restates status, assignment and priority at
sys_updated_at — Rapport ignores a "change" equal to the current value, so
only real transitions count. Event ids derive from number + sys_mod_count.

BPI Challenge 2013 (Volvo IT): one row per event with status/sub_status,
the owner (org_resource) and the support group (org_group).

Neither log carries comment text, so every event is stamped
rapport.conversation=false: comment-based findings are not raised, and the
first response is the first agent action. Times without an offset are UTC.
"""
import argparse
import csv
import datetime as dt
import json
import sys

SNOW_STATUS = {
    "New": "NEW", "Active": "IN_PROGRESS", "Awaiting User Info": "PENDING_REQUESTER",
    "Awaiting Problem": "PENDING_THIRD_PARTY", "Awaiting Vendor": "PENDING_THIRD_PARTY",
    "Awaiting Evidence": "PENDING_REQUESTER", "Resolved": "RESOLVED", "Closed": "CLOSED",
}
SNOW_PRIORITY = {"1": "CRITICAL", "2": "HIGH", "3": "MEDIUM", "4": "LOW"}

# (status, sub_status) -> canonical status
BPI_STATUS = {
    ("Accepted", "In Progress"): "IN_PROGRESS", ("Accepted", "Assigned"): "IN_PROGRESS",
    ("Accepted", "Wait - User"): "PENDING_REQUESTER", ("Accepted", "Wait"): "PENDING_THIRD_PARTY",
    ("Accepted", "Wait - Implementation"): "PENDING_THIRD_PARTY", ("Accepted", "Wait - Vendor"): "PENDING_THIRD_PARTY",
    ("Accepted", "Wait - Customer"): "PENDING_REQUESTER", ("Queued", "Awaiting Assignment"): "NEW",
    ("Completed", "In Call"): "RESOLVED", ("Completed", "Resolved"): "RESOLVED", ("Completed", "Closed"): "CLOSED",
    ("Completed", "Cancelled"): "CANCELED", ("Unmatched", "Unmatched"): "IN_PROGRESS",
}
BPI_PRIORITY = {"Critical": "CRITICAL", "Major": "HIGH", "High": "HIGH", "Medium": "MEDIUM", "Low": "LOW"}


def empty(value):
    return value is None or value.strip() in ("", "?")


def snow_time(text):
    return dt.datetime.strptime(text, "%d-%m-%Y %H:%M").strftime("%Y-%m-%dT%H:%M:00Z")


def servicenow(path, tenant, out, errors):
    seen = set()
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            number = row.get("number", "")
            try:
                at = snow_time(row["sys_updated_at"])
                opened = snow_time(row["opened_at"])
            except (KeyError, ValueError) as e:
                errors.append(f"line {line}: unreadable time ({e})")
                continue
            status = SNOW_STATUS.get(row["incident_state"])
            if status is None:
                errors.append(f"line {line}: unknown incident_state {row['incident_state']!r}")
                continue
            priority = SNOW_PRIORITY.get(row["priority"].split(" ")[0], "MEDIUM")
            actor = {"id": row["sys_updated_by"], "role": "AGENT"}
            base = {"tenant": tenant, "ticket_id": number, "source": "servicenow-incident-log",
                    "attributes": {"rapport.conversation": "false", "sys_mod_count": row["sys_mod_count"]}}
            requester = {"id": row["caller_id"]} if not empty(row["caller_id"]) else None
            assignee = {"agent_id": "" if empty(row["assigned_to"]) else row["assigned_to"],
                        "team": "" if empty(row["assignment_group"]) else row["assignment_group"]}
            mod = row["sys_mod_count"]
            if number not in seen:
                seen.add(number)
                created = dict(base, event_id=f"{number}:created", occurred_at=min(opened, at),
                               kind="TICKET_CREATED", status="NEW", priority=priority,
                               actor={"id": row["opened_by"], "role": "OTHER"}, category=row["category"],
                               service=row["category"])
                if requester:
                    created["requester"] = requester
                out.append(created)
            out.append(dict(base, event_id=f"{number}:{mod}:assignment", occurred_at=at, kind="ASSIGNMENT_CHANGED",
                            actor=actor, assignee=assignee))
            out.append(dict(base, event_id=f"{number}:{mod}:priority", occurred_at=at, kind="PRIORITY_CHANGED",
                            actor=actor, priority=priority))
            status_event = dict(base, event_id=f"{number}:{mod}:status", occurred_at=at, kind="STATUS_CHANGED",
                                actor=actor, status=status)
            if status in ("RESOLVED", "CLOSED") and not empty(row.get("closed_code")):
                status_event["resolution"] = {"code": row["closed_code"]}
            out.append(status_event)


def bpi2013(path, tenant, out, errors):
    seen = set()
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            case = row["case_id"]
            try:
                at = dt.datetime.fromisoformat(row["time_timestamp"]).astimezone(dt.timezone.utc)
            except ValueError as e:
                errors.append(f"line {line}: unreadable time ({e})")
                continue
            at = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            status = BPI_STATUS.get((row["status"], row["sub_status"]))
            if status is None:
                errors.append(f"line {line}: unknown status {row['status']}/{row['sub_status']}")
                continue
            base = {"tenant": tenant, "ticket_id": case, "source": "bpic2013",
                    "attributes": {"rapport.conversation": "false"}}
            actor = {"id": row["org_resource"], "role": "AGENT", "team": row["org_group"]}
            idx = row["event_index"]
            if case not in seen:
                seen.add(case)
                out.append(dict(base, event_id=f"{case}:created", occurred_at=at, kind="TICKET_CREATED",
                                status="NEW", priority=BPI_PRIORITY.get(row["impact"], "MEDIUM"), actor=actor,
                                service=row["product"]))
                # No requester: the log names only the organisation line involved,
                # which is shared by thousands of cases and is not a person.
            out.append(dict(base, event_id=f"{case}:{idx}:assignment", occurred_at=at, kind="ASSIGNMENT_CHANGED",
                            actor=actor, assignee={"agent_id": row["org_resource"], "team": row["org_group"]}))
            out.append(dict(base, event_id=f"{case}:{idx}:status", occurred_at=at, kind="STATUS_CHANGED",
                            actor=actor, status=status))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=["servicenow", "bpi2013"])
    parser.add_argument("csv")
    parser.add_argument("--tenant", required=True)
    args = parser.parse_args()
    out, errors = [], []
    (servicenow if args.format == "servicenow" else bpi2013)(args.csv, args.tenant, out, errors)
    for event in out:
        sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    for e in errors[:20]:
        print(f"skipped {e}", file=sys.stderr)
    print(f"{len(out)} events, {len(errors)} rows skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
