#!/usr/bin/python3
"""Writes canonical events as JSONL, about --mb megabytes, for load tests of
`rapport ingest` (bounded memory, time to first ack). Tickets of eight events:
created, assigned, in progress, three public comments, resolved, closed; one
ticket opens every minute. Deterministic; written as generated, so the
generator itself needs no memory proportional to the file.

    scripts/gen_events_jsonl.py --mb 300 --tenant load > /tmp/load.jsonl
"""
import argparse
import datetime as dt
import json
import sys

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
AGENTS = [f"agent.{i:02d}" for i in range(20)]
TEAMS = ["Service Desk", "Network", "Applications", "Workplace"]
COMMENTS = [
    ("ACTOR_ROLE_REQUESTER", "My laptop loses the VPN connection every hour and I have to sign in again, "
                             "which interrupts my calls with customers. Could you take a look?"),
    ("ACTOR_ROLE_AGENT", "Thanks for the details. I pushed a new VPN profile to your laptop; please restart "
                         "it and tell me whether the connection still drops."),
    ("ACTOR_ROLE_REQUESTER", "Restarted and it has been stable for two hours now. Thank you for the quick help!"),
]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket_events(tenant, n):
    ticket = f"LOAD{n:08d}"
    opened = START + dt.timedelta(minutes=n)
    agent, team = AGENTS[n % len(AGENTS)], TEAMS[n % len(TEAMS)]
    requester = f"user.{n % 2000:04d}"
    base = {"tenant": tenant, "ticket_id": ticket, "source": "load"}
    steps = [
        (0, {"kind": "EVENT_KIND_TICKET_CREATED", "actor": {"id": requester, "role": "ACTOR_ROLE_REQUESTER"},
             "status": "TICKET_STATUS_NEW", "priority": "PRIORITY_MEDIUM",
             "requester": {"id": requester, "department": "Sales"}, "service": "vpn", "category": "network",
             "attributes": {"subject": "VPN drops every hour", "channel": "portal"}}),
        (3, {"kind": "EVENT_KIND_ASSIGNMENT_CHANGED", "actor": {"id": "dispatch", "role": "ACTOR_ROLE_AGENT"},
             "assignee": {"agent_id": agent, "team": team}}),
        (9, {"kind": "EVENT_KIND_STATUS_CHANGED", "actor": {"id": agent, "role": "ACTOR_ROLE_AGENT", "team": team},
             "status": "TICKET_STATUS_IN_PROGRESS"}),
    ]
    for i, (role, text) in enumerate(COMMENTS):
        actor = {"id": requester if role == "ACTOR_ROLE_REQUESTER" else agent, "role": role}
        steps.append((1 + 20 * i, {"kind": "EVENT_KIND_COMMENT_ADDED", "actor": actor,
                                   "comment": {"text": text, "public": True}}))
    steps.append((70, {"kind": "EVENT_KIND_STATUS_CHANGED", "actor": {"id": agent, "role": "ACTOR_ROLE_AGENT"},
                       "status": "TICKET_STATUS_RESOLVED", "resolution": {"code": "fixed"}}))
    steps.append((4000, {"kind": "EVENT_KIND_STATUS_CHANGED", "actor": {"id": "system", "role": "ACTOR_ROLE_SYSTEM"},
                         "status": "TICKET_STATUS_CLOSED"}))
    for i, (minute, fields) in enumerate(sorted(steps, key=lambda s: s[0])):
        event = dict(base, event_id=f"{ticket}-{i:02d}", occurred_at=iso(opened + dt.timedelta(minutes=minute)))
        event.update(fields)
        yield event


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, required=True, help="stop after about this many megabytes")
    parser.add_argument("--tenant", default="load")
    args = parser.parse_args()
    limit, written, n = int(args.mb * 1e6), 0, 0
    out = sys.stdout
    while written < limit:
        for event in ticket_events(args.tenant, n):
            line = json.dumps(event, separators=(",", ":")) + "\n"
            out.write(line)
            written += len(line)
        n += 1


if __name__ == "__main__":
    main()
