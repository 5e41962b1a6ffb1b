#!/usr/bin/python3
"""Checks the bundled samples: every line a canonical event with its required
fields, unique event ids per tenant, times inside the generator's window, and
every planted behaviour present."""
import datetime as dt
import json
import os
import sys

REQUIRED = ("tenant", "ticket_id", "event_id", "occurred_at", "kind")
BEHAVIOURS = ("RESOLVED_WITHOUT_CONTACT", "RESOLVED_WHILE_REQUESTER_WAITING", "REOPENED_AFTER_RESOLVE",
              "SLA_EDGE_CLOSURE", "PAUSE_ABUSE", "PING_PONG", "MASS_CLOSURE", "PRIORITY_DOWNGRADE_BEFORE_RESOLVE",
              "REOPEN_AS_NEW", "BOILERPLATE_RESOLUTION", "FIRST_RESPONSE_BREACH", "RESOLUTION_BREACH", "REPLY_GAP",
              "STALE", "RUDE_REPLY", "CURT_TO_UPSET_REQUESTER", "REQUESTER_DISTRESS")


def parse_time(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def main(directory):
    truth = json.load(open(os.path.join(directory, "truth.json"), encoding="utf-8"))
    start = parse_time(truth["window"]["start"])
    end = parse_time(truth["window"]["end"]) + dt.timedelta(days=7)
    seen, tickets, problems = set(), set(), []
    with open(os.path.join(directory, "events.jsonl"), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            event = json.loads(line)
            missing = [k for k in REQUIRED if not event.get(k)]
            if missing:
                problems.append(f"line {number}: missing {missing}")
                continue
            key = (event["tenant"], event["event_id"])
            if key in seen:
                problems.append(f"line {number}: duplicate event id {key}")
            seen.add(key)
            tickets.add((event["tenant"], event["ticket_id"]))
            at = parse_time(event["occurred_at"])
            if not start <= at <= end:
                problems.append(f"line {number}: occurred_at {event['occurred_at']} outside the window")
    acme = truth["behaviours"]["acme"]
    for behaviour in BEHAVIOURS:
        if len(acme.get(behaviour, [])) < 3:
            problems.append(f"behaviour {behaviour} is planted fewer than 3 times")
    if len([t for t in tickets if t[0] == "acme"]) < 300:
        problems.append("fewer than 300 acme tickets")
    for p in problems[:20]:
        print(p)
    print(f"{len(seen)} events, {len(tickets)} tickets, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
