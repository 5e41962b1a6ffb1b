#!/usr/bin/python3
"""Generates Rapport's bundled sample ticket stream.

Deterministic (fixed seed): the same command always writes the same bytes.

    scripts/gen_samples.py [--out data/samples]

Writes:
  events.jsonl  canonical TicketEvent proto-JSON, one event per line, in the
                order a help desk would stream them (mostly by time, a few
                percent delivered late);
  truth.json    what the generator planted: ticket ids per behaviour, and the
                agents and teams it made behave badly or well.

The desk: tenant "acme" (four teams, fourteen agents, ~90 requesters over two
months) plus a small second tenant "globex". Most tickets are handled well;
specific agents are made to game closure metrics, stall, or be rude, so that
every behaviour of the product specification appears several times and the
culprits are known.
"""

import argparse
import datetime as dt
import json
import os
import random

SEED = 20260901
START = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 10, 31, 18, 0, tzinfo=dt.timezone.utc)

TEAMS = {
    "Service Desk": ["maria.lopez", "tom.becker", "priya.nair", "kevin.doyle"],
    "Network": ["olga.ivanova", "raj.patel", "sam.fischer"],
    "Workplace": ["lena.schmidt", "jonas.berg", "ahmed.karim"],
    "Applications": ["chen.wei", "sara.rossi", "mike.turner", "nora.haas"],
}
# Who misbehaves, and how.
RUDE_AGENT = "kevin.doyle"          # blame, dismissal, threats, sarcasm, shouting
NO_CONTACT_AGENT = "kevin.doyle"    # closes without a word to the requester
PAUSE_ABUSER = "sam.fischer"        # parks tickets in "waiting for user" when he owes the answer
MASS_CLOSER = "mike.turner"         # mass closures, boilerplate notes, priority downgrades
EDGE_CLOSER = "sara.rossi"          # resolves at the last minute of the target, reopened later
CURT_AGENT = "nora.haas"            # one-line replies to upset requesters
BAD_AGENTS = sorted({RUDE_AGENT, PAUSE_ABUSER, MASS_CLOSER, EDGE_CLOSER, CURT_AGENT})
BAD_TEAMS = ["Applications", "Service Desk"]
GOOD_AGENTS = ["maria.lopez", "priya.nair", "lena.schmidt", "jonas.berg", "ahmed.karim", "olga.ivanova"]
GOOD_TEAMS = ["Workplace"]

DEPARTMENTS = ["Finance", "HR", "Sales", "Engineering", "Legal", "Operations", "Marketing", "Procurement"]
FIRST = ["emma", "liam", "olivia", "noah", "ava", "lucas", "mia", "leo", "sofia", "ben", "chloe", "adam",
         "zoe", "omar", "ella", "finn", "ines", "hugo", "maya", "ivan", "lara", "theo", "nina", "paul"]
LAST = ["keller", "novak", "moreau", "silva", "jensen", "kowalski", "brennan", "okafor", "lindqvist",
        "costa", "weber", "tanaka", "murphy", "haddad", "vogel", "ruiz"]

SERVICES = {
    "email": ("Workplace", "Outlook keeps asking for my password", ["mailbox", "calendar"]),
    "vpn": ("Network", "VPN drops every hour", ["remote access"]),
    "laptop": ("Workplace", "Laptop will not boot after the update", ["hardware"]),
    "printing": ("Workplace", "Printer on the 3rd floor jams every morning", ["hardware"]),
    "erp": ("Applications", "ERP invoice screen shows an error", ["finance apps"]),
    "access": ("Service Desk", "I need access to the Sales shared drive", ["accounts"]),
    "wifi": ("Network", "Wi-Fi in meeting room B is very slow", ["network"]),
    "crm": ("Applications", "CRM export to Excel fails", ["sales apps"]),
    "phone": ("Service Desk", "My desk phone shows 'no service'", ["telephony"]),
}

TARGETS = {  # first response, resolution (hours)
    "PRIORITY_CRITICAL": (0.25, 4), "PRIORITY_HIGH": (1, 8), "PRIORITY_MEDIUM": (4, 72), "PRIORITY_LOW": (8, 120),
}

DESCRIPTIONS = {
    "email": ["Since this morning Outlook asks for my password every few minutes, even after I type it in.",
              "I can't see the shared Finance calendar any more, it says I don't have permission.",
              "Emails to external partners bounce back with 'message rejected'."],
    "vpn": ["The VPN disconnects roughly every hour and I lose my work in the ERP.",
            "I can't connect to the VPN from home, the client says 'authentication failed'.",
            "VPN is extremely slow since Monday, file transfers take forever."],
    "laptop": ["After last night's update my laptop is stuck on the logo screen.",
               "The battery of my laptop drains in under an hour.",
               "My laptop's keyboard stopped working after the docking station was replaced."],
    "printing": ["The printer on the 3rd floor jams every morning with the first print job.",
                 "I can't add the new printer in room 2.14, it isn't in the list.",
                 "Printouts come out with grey stripes across the page."],
    "erp": ["The invoice screen in the ERP shows 'error 500' when I open supplier invoices.",
            "I can't post the month-end journal, the ERP says the period is locked.",
            "ERP reports take more than ten minutes to load today."],
    "access": ["I need access to the Sales shared drive for the quarterly review.",
               "Please give me access to the HR onboarding folder, my manager approved it.",
               "My account got locked after I changed my password."],
    "wifi": ["Wi-Fi in meeting room B keeps dropping during video calls.",
             "The guest Wi-Fi doesn't accept the voucher codes from reception.",
             "Wi-Fi on the 4th floor is very slow since the weekend."],
    "crm": ["Exporting the pipeline from the CRM to Excel fails with a timeout.",
            "CRM doesn't show the contacts I imported yesterday.",
            "I get logged out of the CRM every few minutes."],
    "phone": ["My desk phone shows 'no service' since it was moved to the new desk.",
              "Voicemail doesn't forward to my email any more.",
              "Calls from external numbers don't ring on my desk phone."],
}

GREETINGS = ["Hi {name},", "Hello {name},", "Good morning {name},", "Hi {name}, thanks for reaching out."]
QUESTIONS = [
    "could you tell me which version of the client you are running? You find it under Help > About.",
    "could you send me a screenshot of the error message, please?",
    "would you be able to try once more and tell me the exact time it happens?",
    "could you let me know whether colleagues near you see the same problem?",
    "can you confirm which device this happens on (laptop or desktop)?",
]
ANSWERS = ["It's version 5.2.1, screenshot attached.", "Here is the screenshot, it happened at 9:40 again.",
           "Only my laptop, my colleague's works fine.", "Yes, two people next to me have the same issue.",
           "I tried again just now, same error."]
FIXES = {
    "email": ["I have reset your mail profile and re-entered the stored credentials; please restart Outlook and let me know if the prompts stop.",
              "the shared calendar permissions were dropped by the migration. I restored them, it may take a few minutes to show up."],
    "vpn": ["I found a stale certificate on your device and replaced it remotely, so the VPN should stay connected now. Could you check?",
            "I adjusted the keep-alive settings of your VPN profile; the hourly drops should be gone after you reconnect."],
    "laptop": ["we rolled back last night's update on your laptop, which fixes the boot problem for now. I'll keep an eye on it.",
               "the technician replaced the battery this afternoon. Sorry for the trouble, and thanks for your patience."],
    "printing": ["the technician replaced the fuser unit of the 3rd-floor printer this morning; it should no longer jam.",
                 "I added the new printer to your device; you'll find it as 'Floor 2 - Room 2.14' in the list."],
    "erp": ["the invoice screen error came from a broken cache entry. I cleared it, please open the supplier invoices again.",
            "Finance reopened the period for your cost centre, so you can post the journal now."],
    "access": ["I've granted the access and it can take up to 15 minutes to apply. Please let me know if you still can't open it.",
               "I unlocked your account and reset the lockout counter; you can sign in with your new password now."],
    "wifi": ["we replaced the access point in meeting room B; video calls there should be stable again.",
             "the guest Wi-Fi portal had an expired certificate. It's renewed and the vouchers work again."],
    "crm": ["I re-synced your contacts import and raised the export timeout; the Excel export works again.",
            "your CRM session timeout was set to five minutes by mistake. I set it back to eight hours."],
    "phone": ["I re-provisioned your phone line on the new desk port; it should show your extension again.",
              "voicemail forwarding is switched on again for your extension."],
}
RESOLUTIONS = {
    "email": ["Reset mail profile and re-entered credentials.", "Restored calendar permissions after migration."],
    "vpn": ["Replaced expired device certificate.", "Adjusted VPN keep-alive settings."],
    "laptop": ["Rolled back faulty update and blocked it for the device.", "Replaced laptop battery."],
    "printing": ["Replaced fuser unit of the printer.", "Added printer queue to the device."],
    "erp": ["Cleared corrupted ERP cache entry.", "Finance reopened the posting period."],
    "access": ["Granted access via group membership.", "Unlocked account and reset lockout counter."],
    "wifi": ["Replaced access point in meeting room B.", "Renewed guest portal certificate."],
    "crm": ["Re-synced CRM contacts import and raised export timeout.", "Corrected CRM session timeout."],
    "phone": ["Re-provisioned phone line on the new port.", "Re-enabled voicemail forwarding."],
}
THANKS = ["That fixed it, thank you so much!", "Works now, thanks a lot for the quick help.",
          "Perfect, all good now. Thanks!", "Confirmed, it works again. Much appreciated."]
STILL_BROKEN = ["It's still not working. Same error as before.", "Sorry, this is still failing for me.",
                "The problem is back, it started again this morning.", "No, it doesn't work. Nothing changed."]
OPEN_QUESTIONS = ["When will someone look at this? I still can't work.", "Is there any update on this?",
                  "Could you tell me whether this will be fixed before Friday?"]
UPSET = ["This is the third time I'm asking. I can't work like this.",
         "I've been waiting for days and nobody answers. This is unacceptable.",
         "Honestly this is really frustrating, I'm losing hours every day because of this.",
         "I'm very disappointed. My whole team is blocked and nobody seems to care."]
DISTRESS_ESCALATION = ["I'm really worried, the payroll run is tomorrow and I can't log in.",
                       "This is a disaster. I missed the deadline because of this and my manager is furious.",
                       "I'm desperate, please, nothing works and I have a client meeting in an hour."]
RUDE = [
    "You should have read the instructions before opening a ticket.",
    "Not our problem. Talk to your manager.",
    "Works for me. Obviously you didn't try restarting.",
    "Bring it into the office tomorrow. You will be in breach of contract if you don't.",
    "I ALREADY TOLD YOU TWICE. RESTART THE CLIENT.",
    "If you don't answer today this ticket will be closed.",
    "As I already said, this is user error. Read the FAQ.",
]
CURT = ["Restart it.", "Done.", "Reinstall.", "Check the FAQ.", "Try again."]
POLITE_EXTRA = ["I'm sorry for the inconvenience this caused.", "Thank you for your patience while we looked into it.",
                "Please don't hesitate to reply if anything else comes up."]
INTERNAL_NOTES = ["Checked logs, nothing obvious. Escalating to vendor if it happens again.",
                  "User is clueless, again. Third ticket this week about the same thing.",
                  "Waiting for the change window on Thursday before touching the firewall.",
                  "Honestly this user never reads anything we send."]
SURVEY_GOOD = ["Quick and friendly help, thank you.", "Great service.", "Solved fast, thanks."]
SURVEY_BAD = ["Closed without fixing anything.", "Rude and unhelpful.", "Took far too long."]


def iso(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Desk:
    """Accumulates events and the planted truth."""

    def __init__(self, rng, tenant, prefix, start_number):
        self.rng = rng
        self.tenant = tenant
        self.prefix = prefix
        self.number = start_number
        self.events = []  # (delivery time, serial, event)
        self.serial = 0
        self.truth = {}

    def new_ticket_id(self):
        self.number += 1
        return f"{self.prefix}{self.number:07d}"

    def plant(self, behaviour, ticket_id):
        self.truth.setdefault(behaviour, []).append(ticket_id)

    def emit(self, ticket, at, kind, actor_id, role, team="", **fields):
        ticket["n"] += 1
        event = {
            "tenant": self.tenant,
            "ticket_id": ticket["id"],
            "event_id": f"{self.tenant}-{ticket['id']}-{ticket['n']:03d}",
            "occurred_at": iso(at),
            "source": "sample",
            "kind": kind,
            "actor": {"id": actor_id, "role": role},
        }
        if team:
            event["actor"]["team"] = team
        event.update(fields)
        # A few percent of events reach Rapport late, as webhooks retried by
        # the source system do.
        delay = dt.timedelta(0)
        if self.rng.random() < 0.03:
            delay = dt.timedelta(minutes=self.rng.randint(20, 600))
        self.serial += 1
        self.events.append((at + delay, self.serial, event))
        return event


def business_time(rng, day):
    return day.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def minutes(m):
    return dt.timedelta(minutes=m)


def hours(h):
    return dt.timedelta(hours=h)


class Scenario:
    """Writes one ticket's life through a Desk."""

    def __init__(self, desk, rng, requester, service, priority, created, agent=None, team=None):
        self.desk = desk
        self.rng = rng
        self.requester = requester
        self.service = service
        self.priority = priority
        self.team = team or SERVICES[service][0]
        self.agent = agent or rng.choice(TEAMS[self.team])
        self.t = created
        self.ticket = {"id": desk.new_ticket_id(), "n": 0}
        self.name = requester["id"].split(".")[0].capitalize()

    @property
    def id(self):
        return self.ticket["id"]

    def advance(self, delta):
        self.t = self.t + delta
        return self.t

    def create(self, text=None):
        desk = self.desk
        desk.emit(self.ticket, self.t, "EVENT_KIND_TICKET_CREATED", self.requester["id"], "ACTOR_ROLE_REQUESTER",
                  status="TICKET_STATUS_NEW", priority=self.priority, requester=self.requester,
                  service=self.service, category=SERVICES[self.service][2][0],
                  assignee={"team": self.team},
                  attributes={"subject": SERVICES[self.service][1], "channel": self.rng.choice(["portal", "email", "phone"])})
        self.requester_says(text or self.rng.choice(DESCRIPTIONS[self.service]), advance=None)

    def assign(self, agent=None, team=None, delta=None):
        if delta is not None:
            self.advance(delta)
        self.team = team or self.team
        self.agent = agent if agent is not None else self.agent
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_ASSIGNMENT_CHANGED", self.agent or "dispatch", "ACTOR_ROLE_AGENT",
                       self.team, assignee={"agent_id": self.agent or "", "team": self.team})

    def status(self, status, delta=None, actor=None, role="ACTOR_ROLE_AGENT", reason="", resolution=None):
        if delta is not None:
            self.advance(delta)
        fields = {"status": status}
        if reason:
            fields["status_reason"] = reason
        if resolution:
            fields["resolution"] = resolution
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_STATUS_CHANGED", actor or self.agent, role,
                       self.team if role == "ACTOR_ROLE_AGENT" else "", **fields)

    def agent_says(self, text, delta=None, public=True):
        if delta is not None:
            self.advance(delta)
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_COMMENT_ADDED", self.agent, "ACTOR_ROLE_AGENT", self.team,
                       comment={"text": text, "public": public})

    def requester_says(self, text, advance=minutes(0)):
        if advance is not None:
            self.advance(advance)
        else:
            self.advance(dt.timedelta(seconds=5))
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_COMMENT_ADDED", self.requester["id"], "ACTOR_ROLE_REQUESTER",
                       comment={"text": text, "public": True})

    def priority_to(self, priority, delta):
        self.advance(delta)
        self.priority = priority
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_PRIORITY_CHANGED", self.agent, "ACTOR_ROLE_AGENT", self.team,
                       priority=priority)

    def resolve(self, delta, notes=None, code="Solved"):
        if notes is None:
            # Real notes name what was done and with whom; templates are the exception.
            detail = self.rng.choice(["Verified with {n}.", "{n} confirmed it works.", "Tested together with {n}.",
                                      "Followed up with {n} by phone.", "Checked with {n} the next morning."])
            notes = f"{self.rng.choice(RESOLUTIONS[self.service])} {detail.format(n=self.name)}"
        self.status("TICKET_STATUS_RESOLVED", delta, resolution={"code": code, "notes": notes})

    def close(self, delta=hours(48)):
        self.status("TICKET_STATUS_CLOSED", delta, actor="system", role="ACTOR_ROLE_SYSTEM", reason="auto-close")

    def survey(self, score, text, delta=hours(50)):
        self.advance(delta)
        self.desk.emit(self.ticket, self.t, "EVENT_KIND_SURVEY_RECEIVED", self.requester["id"], "ACTOR_ROLE_REQUESTER",
                       survey={"score": score, "scale_min": 1, "scale_max": 5, "text": text})

    def fix(self):
        return self.rng.choice(FIXES[self.service])

    def greet(self, text):
        return f"{self.rng.choice(GREETINGS).format(name=self.name)} {text}"

    # -- whole stories ---------------------------------------------------------

    def good(self, with_pause=True, third_party=False):
        r = self.rng
        self.create()
        self.assign(delta=minutes(r.randint(5, 40)))
        self.status("TICKET_STATUS_IN_PROGRESS", minutes(2))
        if not with_pause:
            self.agent_says(self.greet("thanks for letting us know, I'm looking into it now."), minutes(r.randint(3, 25)))
        if with_pause:
            self.agent_says(self.greet(r.choice(QUESTIONS)), minutes(r.randint(3, 30)))
            self.status("TICKET_STATUS_PENDING_REQUESTER", minutes(1), reason="Awaiting caller")
            self.requester_says(r.choice(ANSWERS), minutes(r.randint(20, 300)))
            self.status("TICKET_STATUS_IN_PROGRESS", minutes(r.randint(5, 40)))
        if third_party:
            self.agent_says(self.greet("we need a replacement part from the vendor; I'll update you as soon as it arrives."),
                            minutes(10))
            self.status("TICKET_STATUS_PENDING_THIRD_PARTY", minutes(1), reason="Awaiting vendor")
            self.status("TICKET_STATUS_IN_PROGRESS", hours(r.randint(20, 50)))
        if r.random() < 0.3:
            self.agent_says(r.choice(INTERNAL_NOTES[:1] + INTERNAL_NOTES[2:3]), minutes(15), public=False)
        fix = self.greet(self.fix())
        if r.random() < 0.5:
            fix += " " + r.choice(POLITE_EXTRA)
        self.agent_says(fix, minutes(r.randint(30, 240)))
        self.requester_says(r.choice(THANKS), minutes(r.randint(10, 120)))
        self.resolve(minutes(r.randint(2, 30)))
        self.close()
        if r.random() < 0.35:
            self.survey(r.choice([4, 5, 5]), r.choice(SURVEY_GOOD))


def make_requesters(rng, count):
    people, seen = [], set()
    while len(people) < count:
        rid = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
        if rid in seen:
            continue
        seen.add(rid)
        people.append({"id": rid, "department": rng.choice(DEPARTMENTS), "vip": rng.random() < 0.08})
    return people


def day_at(rng, index, total):
    span_days = (END - START).days - 10
    return START + dt.timedelta(days=int(index * span_days / total))


def generate_acme(rng):
    desk = Desk(rng, "acme", "INC", 1000)
    people = make_requesters(rng, 90)
    services = sorted(SERVICES)

    def pick_day(i, n):
        d = day_at(rng, i, n)
        while d.weekday() >= 5:  # weekdays only
            d += dt.timedelta(days=1)
        return business_time(rng, d)

    def scenario(i, n, service=None, agent=None, team=None, priority=None, requester=None):
        service = service or rng.choice(services)
        if agent and not team:
            team = next(t for t, members in TEAMS.items() if agent in members)
        team = team or SERVICES[service][0]
        return Scenario(desk, rng, requester or rng.choice(people), service,
                        priority or rng.choice(["PRIORITY_LOW", "PRIORITY_MEDIUM", "PRIORITY_MEDIUM", "PRIORITY_HIGH"]),
                        pick_day(i, n), agent=agent, team=team)

    # Well-behaved tickets by every agent, good ones especially.
    n_good = 260
    for i in range(n_good):
        s = scenario(i, n_good)
        if s.agent in BAD_AGENTS and rng.random() < 0.5:
            s.agent = rng.choice([a for a in TEAMS[s.team] if a not in BAD_AGENTS] or TEAMS[s.team])
        s.good(with_pause=rng.random() < 0.6, third_party=rng.random() < 0.12)
        desk.plant("WELL_HANDLED", s.id)

    # Closed without any public reply to the requester.
    for i in range(12):
        s = scenario(i, 12, service=rng.choice(["access", "phone"]), agent=NO_CONTACT_AGENT, team="Service Desk")
        s.create()
        s.assign(delta=minutes(rng.randint(10, 60)))
        if i % 3 == 0:
            s.agent_says(rng.choice(INTERNAL_NOTES), minutes(20), public=False)
        s.resolve(hours(rng.randint(1, 6)), notes="Closed.")
        s.close()
        if i % 4 == 0:
            s.survey(1, SURVEY_BAD[0])
        desk.plant("RESOLVED_WITHOUT_CONTACT", s.id)

    # Resolved while the requester's question or complaint is unanswered.
    for i in range(10):
        agent = rng.choice([NO_CONTACT_AGENT, MASS_CLOSER, "tom.becker"])
        team = next(t for t, members in TEAMS.items() if agent in members)
        s = scenario(i, 10, agent=agent, team=team)
        s.create()
        s.assign(delta=minutes(30))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.agent_says(s.greet(s.fix()), hours(3))
        s.requester_says(rng.choice(STILL_BROKEN + OPEN_QUESTIONS), hours(2))
        s.resolve(hours(rng.randint(2, 20)))
        s.close()
        desk.plant("RESOLVED_WHILE_REQUESTER_WAITING", s.id)

    # Resolved, then reopened because it was not fixed.
    for i in range(14):
        agent = rng.choice([EDGE_CLOSER, MASS_CLOSER, NO_CONTACT_AGENT, "raj.patel"])
        team = next(t for t, members in TEAMS.items() if agent in members)
        s = scenario(i, 14, agent=agent, team=team)
        s.create()
        s.assign(delta=minutes(20))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.agent_says(s.greet(s.fix()), hours(2))
        s.resolve(minutes(10))
        s.requester_says(rng.choice(STILL_BROKEN), hours(rng.randint(3, 60)))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(30), actor=s.requester["id"], role="ACTOR_ROLE_REQUESTER")
        if i % 3 == 0:  # a reopen loop: fails a second time
            s.resolve(hours(4))
            s.requester_says(rng.choice(UPSET), hours(20))
            s.status("TICKET_STATUS_IN_PROGRESS", minutes(10), actor=s.requester["id"], role="ACTOR_ROLE_REQUESTER")
            desk.plant("REOPEN_LOOP", s.id)
        s.agent_says(s.greet(s.fix()), hours(5))
        s.requester_says(rng.choice(THANKS), hours(1))
        s.resolve(minutes(15))
        s.close()
        if i % 2 == 0:
            s.survey(rng.choice([1, 2]), SURVEY_BAD[0])
        desk.plant("REOPENED_AFTER_RESOLVE", s.id)

    # Resolved in the last 5% of the resolution target, then reopened.
    for i in range(8):
        priority = rng.choice(["PRIORITY_HIGH", "PRIORITY_MEDIUM"])
        s = scenario(i, 8, service=rng.choice(["erp", "crm"]), agent=EDGE_CLOSER, team="Applications", priority=priority)
        created = s.t
        s.create()
        s.assign(delta=minutes(15))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.agent_says(s.greet("I'm looking into it."), minutes(20))
        target = hours(TARGETS[priority][1])
        s.t = created + target * 0.985
        s.resolve(None, notes="Applied workaround.")
        s.requester_says(rng.choice(STILL_BROKEN), hours(rng.randint(2, 30)))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(20), actor=s.requester["id"], role="ACTOR_ROLE_REQUESTER")
        s.agent_says(s.greet(s.fix()), hours(6))
        s.resolve(hours(2))
        s.close()
        desk.plant("SLA_EDGE_CLOSURE", s.id)

    # Paused while the agent owes the answer.
    for i in range(12):
        s = scenario(i, 12, service=rng.choice(["vpn", "wifi"]), agent=PAUSE_ABUSER, team="Network")
        s.create()
        s.assign(delta=minutes(25))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.requester_says(rng.choice(OPEN_QUESTIONS + UPSET[:2]), hours(2))
        s.status("TICKET_STATUS_PENDING_REQUESTER", minutes(rng.randint(1, 8)), reason="Awaiting caller")
        s.requester_says("Why is this waiting for me? I answered everything you asked.", hours(rng.randint(5, 30)))
        s.status("TICKET_STATUS_IN_PROGRESS", hours(rng.randint(10, 30)))
        s.agent_says(s.greet(s.fix()), hours(2))
        s.resolve(hours(1))
        s.close()
        desk.plant("PAUSE_ABUSE", s.id)

    # Ping-pong between teams.
    for i in range(9):
        s = scenario(i, 9, service=rng.choice(["erp", "vpn", "crm"]), agent="", team="Service Desk")
        s.create()
        hops = [("raj.patel", "Network"), ("", "Applications"), ("chen.wei", "Applications"), ("", "Network"),
                ("olga.ivanova", "Network"), ("", "Service Desk")]
        for agent, team in hops[: 3 + i % 4]:
            s.assign(agent, team, delta=hours(rng.randint(2, 14)))
        s.assign("tom.becker", "Service Desk", delta=hours(3))
        s.requester_says(rng.choice(UPSET), hours(1))
        s.agent_says(s.greet("sorry for the back and forth. " + s.fix()), hours(4))
        s.resolve(hours(1))
        s.close()
        desk.plant("PING_PONG", s.id)

    # Priority lowered shortly before resolving.
    for i in range(8):
        s = scenario(i, 8, agent=MASS_CLOSER, team="Applications", service=rng.choice(["erp", "crm"]),
                     priority="PRIORITY_HIGH")
        s.create()
        s.assign(delta=minutes(20))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.agent_says(s.greet("we're on it."), hours(1))
        s.priority_to("PRIORITY_LOW", hours(rng.randint(9, 20)))
        s.resolve(minutes(rng.randint(5, 40)))
        s.close()
        desk.plant("PRIORITY_DOWNGRADE_BEFORE_RESOLVE", s.id)

    # The same requester opens a new ticket on the same service soon after a resolution.
    for i in range(8):
        requester = rng.choice(people)
        service = rng.choice(services)
        first = scenario(i, 8, service=service, requester=requester, agent=NO_CONTACT_AGENT, team="Service Desk")
        first.create()
        first.assign(delta=minutes(30))
        first.agent_says(first.greet("this should be fine now."), hours(1))
        first.resolve(minutes(5))
        second = Scenario(desk, rng, requester, service, "PRIORITY_MEDIUM", first.t + hours(rng.randint(5, 60)))
        second.create("Same problem as in my last ticket, it was closed but nothing was fixed.")
        second.assign(delta=minutes(20))
        second.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        second.agent_says(second.greet(second.fix()), hours(2))
        second.requester_says(rng.choice(THANKS), hours(1))
        second.resolve(minutes(10))
        second.close()
        first.close(hours(1))
        desk.plant("REOPEN_AS_NEW", second.id)

    # One agent closes a pile of tickets within minutes, all with the same note.
    pile_day = START + dt.timedelta(days=40)
    pile = []
    for i in range(24):
        s = scenario(i, 24, service=rng.choice(["erp", "crm"]), agent=MASS_CLOSER, team="Applications",
                     priority=rng.choice(["PRIORITY_LOW", "PRIORITY_MEDIUM"]))
        s.t = business_time(rng, pile_day - dt.timedelta(days=rng.randint(3, 25)))
        s.create()
        s.assign(delta=minutes(40))
        pile.append(s)
    sweep = pile_day.replace(hour=17, minute=2, second=0)
    for k, s in enumerate(pile):
        s.t = sweep + dt.timedelta(seconds=20 * k)
        s.resolve(None, notes="Issue resolved.")
        s.close()
        desk.plant("MASS_CLOSURE", s.id)
        desk.plant("BOILERPLATE_RESOLUTION", s.id)

    # Slow: late first responses, resolutions past target, unanswered requesters.
    for i in range(10):
        s = scenario(i, 10, priority="PRIORITY_HIGH", agent=rng.choice(["tom.becker", "raj.patel", MASS_CLOSER]))
        s.create()
        s.assign(delta=hours(rng.randint(3, 7)))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.agent_says(s.greet(rng.choice(QUESTIONS)), minutes(30))
        s.requester_says(rng.choice(ANSWERS), hours(1))
        s.requester_says(rng.choice(OPEN_QUESTIONS), hours(rng.randint(26, 40)))
        s.agent_says(s.greet(s.fix()), hours(rng.randint(26, 30)))
        s.resolve(hours(1))
        s.close()
        desk.plant("FIRST_RESPONSE_BREACH", s.id)
        desk.plant("RESOLUTION_BREACH", s.id)
        desk.plant("REPLY_GAP", s.id)

    # Left open and silent for more than a week at the end of the stream.
    for i in range(7):
        s = scenario(i, 7, agent=rng.choice([MASS_CLOSER, "tom.becker", "sam.fischer"]))
        s.t = business_time(rng, END - dt.timedelta(days=rng.randint(12, 20)))
        s.create()
        s.assign(delta=hours(1))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(10))
        s.agent_says(s.greet("I'll look into this today."), minutes(30))
        desk.plant("STALE", s.id)

    # Rude replies to the requester (and blunt internal notes that are not).
    for i in range(12):
        s = scenario(i, 12, service=rng.choice(["access", "phone", "laptop"]), agent=RUDE_AGENT, team="Service Desk")
        s.create()
        s.assign(delta=minutes(20))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.requester_says(rng.choice(OPEN_QUESTIONS), hours(2))
        s.agent_says(RUDE[i % len(RUDE)], minutes(rng.randint(10, 90)))
        s.agent_says(INTERNAL_NOTES[1 + i % 3], minutes(5), public=False)
        s.requester_says(rng.choice(UPSET), hours(3))
        s.agent_says(rng.choice(CURT), minutes(30))
        s.resolve(hours(2))
        s.close()
        if i % 3 == 0:
            s.survey(1, SURVEY_BAD[1])
        desk.plant("RUDE_REPLY", s.id)

    # Curt one-liners to upset requesters, and requesters in growing distress.
    for i in range(10):
        s = scenario(i, 10, agent=CURT_AGENT, team="Applications", service=rng.choice(["erp", "crm"]))
        s.create()
        s.assign(delta=minutes(30))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(5))
        s.requester_says(UPSET[i % len(UPSET)], hours(3))
        s.agent_says(CURT[i % len(CURT)], minutes(40))
        desk.plant("CURT_TO_UPSET_REQUESTER", s.id)
        if i % 2 == 0:
            s.requester_says(DISTRESS_ESCALATION[i % len(DISTRESS_ESCALATION)], hours(2))
            s.requester_says("Hello?? Is anyone reading this? I'm completely stuck and nobody helps.", hours(3))
            desk.plant("REQUESTER_DISTRESS", s.id)
        s.agent_says("Fixed.", hours(4))
        s.resolve(minutes(5))
        s.close()

    # Exceptionally polite agents turning an upset requester around.
    for i in range(10):
        agent = rng.choice(GOOD_AGENTS)
        team = next(t for t, members in TEAMS.items() if agent in members)
        s = scenario(i, 10, agent=agent, team=team, service=rng.choice([sv for sv in services if SERVICES[sv][0] == team]))
        s.create(rng.choice(UPSET))
        s.assign(delta=minutes(10))
        s.status("TICKET_STATUS_IN_PROGRESS", minutes(2))
        s.agent_says(s.greet("I'm really sorry this has been so frustrating, and thank you for your patience. "
                             "I'm on it right now and will call you within the hour."), minutes(8))
        s.agent_says(s.greet(s.fix() + " " + POLITE_EXTRA[2]), minutes(50))
        s.requester_says("Thank you, that was really helpful, it works perfectly now!", minutes(30))
        s.resolve(minutes(5))
        s.close()
        s.survey(5, "Friendly and fast, thank you!")
        desk.plant("POLITE_REPAIR", s.id)

    return desk


def generate_globex(rng):
    desk = Desk(rng, "globex", "GX-", 0)
    people = make_requesters(rng, 15)
    services = ["email", "laptop", "vpn"]
    for i in range(24):
        day = business_time(rng, START + dt.timedelta(days=2 + i * 2))
        s = Scenario(desk, rng, rng.choice(people), rng.choice(services), "PRIORITY_MEDIUM", day,
                     agent="alex.morgan", team="IT Support")
        s.good(with_pause=i % 2 == 0)
        desk.plant("WELL_HANDLED", s.id)
    return desk


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "samples"))
    args = parser.parse_args()
    rng = random.Random(SEED)
    desks = [generate_acme(rng), generate_globex(rng)]

    events = []
    for desk in desks:
        events.extend(desk.events)
    events.sort(key=lambda e: (e[0], e[2]["tenant"], e[1]))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "events.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for _, _, event in events:
            f.write(json.dumps(event, sort_keys=False, ensure_ascii=False, separators=(",", ":")) + "\n")

    truth = {
        "seed": SEED,
        "window": {"start": iso(START), "end": iso(END)},
        "tenants": {d.tenant: {"tickets": d.number - (1000 if d.tenant == "acme" else 0),
                               "events": len(d.events)} for d in desks},
        "bad_agents": BAD_AGENTS,
        "bad_teams": BAD_TEAMS,
        "good_agents": GOOD_AGENTS,
        "good_teams": GOOD_TEAMS,
        "agents": {"rude": RUDE_AGENT, "no_contact": NO_CONTACT_AGENT, "pause_abuse": PAUSE_ABUSER,
                   "mass_closure": MASS_CLOSER, "sla_edge": EDGE_CLOSER, "curt": CURT_AGENT},
        "behaviours": {d.tenant: {k: sorted(set(v)) for k, v in sorted(d.truth.items())} for d in desks},
    }
    with open(os.path.join(args.out, "truth.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
