#!/usr/bin/python3
"""Evaluates the detectors and the support-experience score on the bundled
samples (against the generator's truth) and the score on the real ServiceNow
incident log of eval/ (against the log's own made_sla flag). Prints the
Markdown tables of docs/scoring.md and docs/detectors.md.

    scripts/eval-scores
"""
import bisect
import collections
import csv
import json
import os
import statistics
import subprocess
import sys
import time

from rapport_eval import EVAL, HERE, ROOT, rapport, temporary_server

SAMPLES = os.path.join(ROOT, "data", "samples")
UCI = os.path.join(EVAL, "incidents", "incident_event_log.dev.csv")


def ranked(server, tenant, kind):
    return json.loads(rapport(server, "top", kind, "--tenant", tenant, "--limit", "1000000", "--json")).get("scores", [])


def samples_section(server):
    truth = json.load(open(os.path.join(SAMPLES, "truth.json"), encoding="utf-8"))
    rapport(server, "ingest", "--quiet", os.path.join(SAMPLES, "events.jsonl"))
    print("## Samples: detector recall against the planted behaviours\n")
    print("| finding | planted on | found on | recall | also found on |")
    print("|---|---:|---:|---:|---:|")
    findings = {}
    for tenant in truth["behaviours"]:
        found = json.loads(rapport(server, "findings", "--tenant", tenant, "--limit", "1000000", "--json"))
        findings[tenant] = found.get("findings", [])
    # Stories that are not findings: WELL_HANDLED is the control group.
    stories = {"WELL_HANDLED", "POLITE_REPAIR", "REOPEN_LOOP"}
    kinds = sorted({k for t in truth["behaviours"].values() for k in t} - stories)
    for kind in kinds:
        planted = {(tenant, t) for tenant, b in truth["behaviours"].items() for t in b.get(kind, [])}
        hit = {(tenant, f["ticket_id"]) for tenant, fl in findings.items() for f in fl
               if f["kind"].replace("FINDING_KIND_", "") == kind}
        recall = len(planted & hit) / len(planted) if planted else 0
        print(f"| {kind} | {len(planted)} | {len(planted & hit)} | {recall:.2f} | {len(hit - planted)} |")
    clean = {(tenant, t) for tenant, b in truth["behaviours"].items() for t in b.get("WELL_HANDLED", [])}
    flagged = collections.Counter(f["kind"].replace("FINDING_KIND_", "") for tenant, fl in findings.items()
                                  for f in fl if (tenant, f["ticket_id"]) in clean)
    flagged_tickets = {(tenant, f["ticket_id"]) for tenant, fl in findings.items() for f in fl} & clean
    print(f"\nOf the {len(clean)} tickets the generator handled well, {len(flagged_tickets)} have a finding "
          f"({', '.join(f'{k} {v}' for k, v in flagged.most_common())}).\n")
    repaired = {(tenant, t) for tenant, b in truth["behaviours"].items() for t in b.get("POLITE_REPAIR", [])}
    if repaired:
        values = []
        for tenant, t in sorted(repaired):
            report = json.loads(rapport(server, "score", "--tenant", tenant, "--ticket", t, "--json"))
            for c in report.get("components", []):
                if c["component"] == "requester_sentiment" and c.get("applicable"):
                    values.append(c.get("score", 0))
        if values:
            print(f"The {len(repaired)} tickets where an upset requester was calmed by a polite agent have a mean "
                  f"requester_sentiment component of {statistics.mean(values):+.1f} (repair counts).\n")

    print("## Samples: the score ranks the misbehaving teams and agents last\n")
    for kind, bad_key, good_key in (("teams", "bad_teams", "good_teams"), ("agents", "bad_agents", "good_agents")):
        rows = ranked(server, "acme", kind)
        bad, good = set(truth[bad_key]), set(truth[good_key])
        print(f"| rank | {kind[:-1]} | planted as | score | services | communications | relationship | tickets |")
        print("|---:|---|---|---:|---:|---:|---|---:|")
        for i, r in enumerate(rows, 1):
            who = r["scope"]["id"]
            role = "misbehaving" if who in bad else "good" if who in good else "ordinary"
            print(f"| {i} | {who} | {role} | {r.get('score', 0):+.1f} | {r.get('services_score', 0):+.1f} | "
                  f"{r.get('communications_score', 0):+.1f} | "
                  f"{r.get('relationship', '').replace('RELATIONSHIP_', '').lower()} | {r.get('tickets', 0)} |")
        bottom = {r["scope"]["id"] for r in rows[:len(bad)]}
        print(f"\nThe {len(bad)} lowest-ranked {kind} are {'exactly' if bottom == bad else 'not exactly'} "
              f"the {len(bad)} the generator made misbehave.\n")


def auc(positives, negatives):
    """Probability that a random positive scores above a random negative (ties count half)."""
    negatives = sorted(negatives)
    total = 0.0
    for p in positives:
        lo = bisect.bisect_left(negatives, p)
        hi = bisect.bisect_right(negatives, p)
        total += lo + 0.5 * (hi - lo)
    return total / (len(positives) * len(negatives))


def uci_section(server, work):
    events = os.path.join(work, "uci.jsonl")
    with open(events, "w") as out:
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "logs_to_events.py"), "servicenow", UCI,
                        "--tenant", "uci"], stdout=out, check=True, stderr=subprocess.DEVNULL)
    rapport(server, "ingest", "--quiet", events)
    scores = {r["scope"]["id"]: r for r in ranked(server, "uci", "tickets")}
    last = {}
    with open(UCI, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["number"] not in last or int(row["sys_mod_count"]) >= int(last[row["number"]]["sys_mod_count"]):
                last[row["number"]] = row
    made = {n: r["made_sla"].upper() == "TRUE" for n, r in last.items()}
    print("## UCI ServiceNow incident log: score distribution\n")
    print(f"{len(last)} incidents in the log, {len(scores)} with a score (no comment text: timeliness and "
          "resolution integrity only).\n")
    print("| score | incidents | made_sla TRUE | made_sla FALSE | share made_sla |")
    print("|---|---:|---:|---:|---:|")
    bins = [(-100, -60), (-60, -20), (-20, 20), (20, 60), (60, 100.0001)]
    for lo, hi in bins:
        ids = [n for n, r in scores.items() if lo <= r.get("score", 0) < hi and n in made]
        yes = sum(made[n] for n in ids)
        share = f"{100 * yes / len(ids):.0f}%" if ids else "-"
        label = f"{lo:+d} … {min(hi, 100):+.0f}"
        print(f"| {label} | {len(ids)} | {yes} | {len(ids) - yes} | {share} |")
    pos = [r.get("score", 0) for n, r in scores.items() if made.get(n) is True]
    neg = [r.get("score", 0) for n, r in scores.items() if made.get(n) is False]
    print("\n| made_sla | incidents | mean score | median score |")
    print("|---|---:|---:|---:|")
    for name, values in (("TRUE", pos), ("FALSE", neg)):
        if values:
            print(f"| {name} | {len(values)} | {statistics.mean(values):+.1f} | {statistics.median(values):+.1f} |")
    if pos and neg:
        print(f"\nAUC of the score for made_sla (chance 0.50): **{auc(pos, neg):.3f}**.\n")
    # Per team: share of incidents that made SLA against the team's score.
    teams = ranked(server, "uci", "teams")
    team_of = {n: r["assignment_group"] for n, r in last.items()}
    per_team = collections.defaultdict(list)
    for n, ok in made.items():
        per_team[team_of[n]].append(ok)
    pairs = [(t.get("score", 0), sum(per_team[t["scope"]["id"]]) / len(per_team[t["scope"]["id"]]))
             for t in teams if len(per_team.get(t["scope"]["id"], [])) >= 5]
    if len(pairs) >= 3:
        rank = lambda xs: {v: i for i, v in enumerate(sorted(set(xs)))}
        rs, rm = rank([p[0] for p in pairs]), rank([p[1] for p in pairs])
        a = [rs[p[0]] for p in pairs]
        b = [rm[p[1]] for p in pairs]
        print(f"Teams with at least 5 incidents: {len(pairs)}; Spearman rank correlation between a team's score "
              f"and its made_sla share: **{statistics.correlation(a, b):.2f}**.\n")


def main():
    with temporary_server() as (server, work):
        started = time.time()
        samples_section(server)
        if os.path.exists(UCI):
            uci_section(server, work)
        print(f"_{time.time() - started:.0f} s._")
    return 0


if __name__ == "__main__":
    sys.exit(main())
