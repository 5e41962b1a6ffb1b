// rapport ticket / rapport tickets: one ticket's life, and ticket lists.
#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"
#include "detect/findings.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/experience.grpc.pb.h"

namespace rapport::cli {
namespace {

int64_t Micros(const google::protobuf::Duration& d) { return d.seconds() * 1'000'000 + d.nanos() / 1000; }

std::string When(const google::protobuf::Timestamp& ts) {
  std::string s = FormatMicros(ToMicros(ts));
  return s.substr(0, 16).replace(10, 1, " ");  // "2026-09-14 08:03"
}

std::string Who(const v1::Actor& actor) {
  std::string role = absl::AsciiStrToLower(ShortName(actor.role()));
  if (actor.role() == v1::ACTOR_ROLE_UNSPECIFIED) role = "";
  if (actor.id().empty() || actor.id() == role) return role.empty() ? actor.id() : role;
  return role.empty() ? actor.id() : absl::StrCat(role, " ", actor.id());
}

std::string AssigneeText(const v1::Assignee& a) {
  if (a.agent_id().empty() && a.team().empty()) return "unassigned";
  if (a.team().empty()) return a.agent_id();
  if (a.agent_id().empty()) return absl::StrCat("team ", a.team());
  return absl::StrCat(a.agent_id(), " (", a.team(), ")");
}

// What the event says, in a few words.
std::string Describe(const v1::TimelineEntry& entry, v1::TicketStatus* status) {
  const v1::TicketEvent& e = entry.event();
  std::string text;
  switch (e.kind()) {
    case v1::EVENT_KIND_TICKET_CREATED:
      text = absl::StrCat("opened", e.service().empty() ? "" : absl::StrCat(" about ", e.service()),
                          e.priority() ? absl::StrCat(", ", ShortName(e.priority())) : "",
                          e.has_assignee() ? absl::StrCat(", for ", AssigneeText(e.assignee())) : "");
      *status = e.status() != v1::TICKET_STATUS_UNSPECIFIED ? e.status() : v1::TICKET_STATUS_NEW;
      break;
    case v1::EVENT_KIND_STATUS_CHANGED:
      text = entry.transition() ? absl::StrCat(ShortName(*status), " -> ", ShortName(e.status()))
                                : absl::StrCat("still ", ShortName(e.status()));
      if (!e.status_reason().empty()) absl::StrAppend(&text, " (", e.status_reason(), ")");
      if (entry.reopen()) absl::StrAppend(&text, "  [REOPENED]");
      *status = e.status();
      break;
    case v1::EVENT_KIND_ASSIGNMENT_CHANGED:
      text = absl::StrCat(entry.transition() ? "assigned to " : "still assigned to ", AssigneeText(e.assignee()));
      if (entry.reassignment()) absl::StrAppend(&text, "  [REASSIGNED]");
      break;
    case v1::EVENT_KIND_PRIORITY_CHANGED:
      text = absl::StrCat("priority ", ShortName(e.priority()));
      break;
    case v1::EVENT_KIND_COMMENT_ADDED:
      text = absl::StrCat(e.comment().public_() ? "" : "[internal] ", "\"", Abbreviate(e.comment().text(), 90), "\"");
      if (entry.tone().rude()) {
        std::string kinds;
        for (const v1::ToneCue& cue : entry.tone().cues()) {
          if (kinds.find(cue.kind()) == std::string::npos) absl::StrAppend(&kinds, kinds.empty() ? "" : ", ", cue.kind());
        }
        absl::StrAppend(&text, "  [RUDE: ", kinds, "]");
      } else if (e.comment().public_() && e.actor().role() == v1::ACTOR_ROLE_REQUESTER &&
                 entry.tone().sentiment() <= -0.5) {
        absl::StrAppend(&text, absl::StrFormat("  [upset %.2f]", entry.tone().sentiment()));
      }
      break;
    case v1::EVENT_KIND_SURVEY_RECEIVED:
      text = absl::StrFormat("survey %g on %g..%g", e.survey().score(), e.survey().scale_min(), e.survey().scale_max());
      if (!e.survey().text().empty()) absl::StrAppend(&text, " \"", Abbreviate(e.survey().text(), 60), "\"");
      break;
    default:
      if (auto edit = e.attributes().find("rapport.edit_of"); edit != e.attributes().end()) {
        text = absl::StrCat("edited a comment: \"", Abbreviate(e.comment().text(), 80), "\"");
      } else if (e.attributes().contains("rapport.withdraws")) {
        text = "deleted a comment";
      } else {
        text = "fields updated";
      }
  }
  if (entry.withdrawn()) absl::StrAppend(&text, "  [DELETED]");
  if (entry.edited()) absl::StrAppend(&text, "  [EDITED]");
  // Why the role is OTHER: the source did not say who this person is.
  if (auto reason = e.attributes().find("rapport.role_reason"); reason != e.attributes().end()) {
    absl::StrAppend(&text, "  (role other: ", Abbreviate(reason->second, 100), ")");
  }
  if (!e.resolution().notes().empty() || !e.resolution().code().empty()) {
    absl::StrAppend(&text, "  resolution: ", e.resolution().code(),
                    e.resolution().notes().empty() ? "" : absl::StrCat(" \"", Abbreviate(e.resolution().notes(), 50), "\""));
  }
  return text;
}

void PrintTicket(const v1::GetTicketResponse& t) {
  std::cout << t.ticket_id() << "  " << ShortName(t.status()) << "  priority " << ShortName(t.priority())
            << "  (tenant " << t.tenant() << ")\n";
  std::cout << "  assignee   " << AssigneeText(t.assignee()) << "\n";
  std::cout << "  requester  " << (t.requester().id().empty() ? "unknown" : t.requester().id())
            << (t.requester().department().empty() ? "" : absl::StrCat(" (", t.requester().department(), ")"))
            << (t.requester().vip() ? " VIP" : "") << "\n";
  if (!t.service().empty()) std::cout << "  service    " << t.service() << (t.category().empty() ? "" : " / " + t.category()) << "\n";
  std::cout << "  opened     " << When(t.created_at());
  if (t.has_resolved_at()) std::cout << "   resolved " << When(t.resolved_at());
  if (t.has_closed_at()) std::cout << "   closed " << When(t.closed_at());
  std::cout << "\n  reopened   " << t.reopen_count() << "x   reassigned " << t.reassignment_count()
            << "x (between teams " << t.team_reassignment_count() << "x)\n";
  if (t.counts_from_source_size() > 0) {
    // The source's own counters are higher than the changes the events show.
    std::cout << "  from the source: " << absl::StrJoin(t.counts_from_source(), ", ")
              << " (changes its export did not show)\n";
  }
  const v1::TicketClocks& c = t.clocks();
  std::cout << "  clocks     requester waited " << FormatDuration(Micros(c.requester_wait()))
            << ", agent waited " << FormatDuration(Micros(c.agent_wait())) << ", paused "
            << FormatDuration(Micros(c.paused())) << "  (as of " << When(c.as_of()) << ")\n";
  std::string in_status;
  for (const v1::StatusTime& st : c.time_in_status()) {
    absl::StrAppend(&in_status, in_status.empty() ? "" : ", ", ShortName(st.status()), " ",
                    FormatDuration(Micros(st.duration())));
  }
  if (!in_status.empty()) std::cout << "  in status  " << in_status << "\n";
  const v1::SlaLedger& sla = t.sla();
  if (sla.has_resolution_target()) {
    auto us = [](const google::protobuf::Duration& d) { return FormatDuration(Micros(d)); };
    std::cout << "  SLA        first response " << (sla.has_first_response() ? us(sla.first_response()) : "none yet")
              << " of " << us(sla.first_response_target()) << (sla.first_response_met() ? " (met)" : " (BREACHED)")
              << "; resolution clock " << us(sla.resolution_clock()) << " of " << us(sla.resolution_target())
              << (sla.resolution_met() ? " (met)" : " (BREACHED)") << "\n";
    auto left = [](const google::protobuf::Duration& d) {
      const int64_t m = Micros(d);
      return m >= 0 ? FormatDuration(m) + " left" : FormatDuration(-m) + " over";
    };
    std::cout << "             on " << (sla.calendar().empty() ? "24/7" : "business hours, calendar " + sla.calendar())
              << ": first response " << (sla.has_first_response() ? "answered" : left(sla.first_response_left()))
              << ", resolution " << left(sla.resolution_left()) << "\n";
    std::cout << "             pauses: " << us(sla.legitimate_pause()) << " legitimate, " << us(sla.suspect_pause())
              << " suspect" << (sla.met_only_by_suspect_pause() ? "  — met by the tool's clock only thanks to a suspect pause" : "")
              << "\n";
  }
  if (t.findings_size() > 0) {
    std::cout << "\n  findings (" << t.findings_size() << ")\n";
    Table findings({"when", "finding", "severity", "summary"});
    for (const v1::Finding& f : t.findings()) {
      findings.AddRow({When(f.at()), detect::KindName(f.kind()), detect::SeverityName(f.severity()), f.summary()});
    }
    findings.Print(std::cout, 4);
  }
  std::cout << "\n  timeline (" << t.timeline_size() << " events)\n";
  Table table({"when", "who", "what"});
  v1::TicketStatus status = v1::TICKET_STATUS_UNSPECIFIED;
  for (const v1::TimelineEntry& entry : t.timeline()) {
    table.AddRow({When(entry.event().occurred_at()), Who(entry.event().actor()), Describe(entry, &status)});
  }
  table.Print(std::cout, 4);
}

v1::TicketOrder ParseOrder(const std::string& name, bool* ok) {
  *ok = true;
  if (name.empty() || name == "recent") return v1::TICKET_ORDER_RECENT;
  if (name == "reopened") return v1::TICKET_ORDER_MOST_REOPENED;
  if (name == "reassigned") return v1::TICKET_ORDER_MOST_REASSIGNED;
  if (name == "requester-wait") return v1::TICKET_ORDER_LONGEST_REQUESTER_WAIT;
  if (name == "agent-wait") return v1::TICKET_ORDER_LONGEST_AGENT_WAIT;
  *ok = false;
  return v1::TICKET_ORDER_UNSPECIFIED;
}

}  // namespace

int RunTicket(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {}, {}); !s.ok() || args.positionals().size() != 1 || !args.Has("tenant")) {
    std::cerr << "usage: rapport ticket --tenant T TICKET_ID\n";
    return 2;
  }
  v1::GetTicketRequest request;
  request.set_tenant(args.Get("tenant"));
  request.set_ticket_id(args.positionals()[0]);
  // The first page brings the header, findings and score; the later ones
  // add their timeline entries to it.
  v1::GetTicketResponse response;
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  for (bool first = true;; first = false) {
    v1::GetTicketResponse page;
    grpc::ClientContext context;
    grpc::Status status = stub->GetTicket(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status, args.server());
    if (first) {
      response = std::move(page);
    } else {
      for (v1::TimelineEntry& entry : *page.mutable_timeline()) *response.add_timeline() = std::move(entry);
      response.set_next_page_token(page.next_page_token());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
  } else {
    PrintTicket(response);
  }
  return 0;
}

int RunTickets(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"order", "limit"}, {"open"}); !s.ok() || !args.Has("tenant")) {
    std::cerr << "usage: rapport tickets --tenant T [--order reopened|reassigned|requester-wait|agent-wait|recent] "
                 "[--open] [--limit N]\n";
    return 2;
  }
  bool ok = false;
  v1::ListTicketsRequest request;
  request.set_tenant(args.Get("tenant"));
  request.set_order(ParseOrder(args.Get("order"), &ok));
  int limit = 20;
  if (!ok || (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit < 1))) {
    std::cerr << "rapport tickets: --order is one of reopened, reassigned, requester-wait, agent-wait, recent; "
                 "--limit is a positive number\n";
    return 2;
  }
  request.set_page_size(static_cast<uint32_t>(std::min(limit, 1000)));
  request.set_open_only(args.Flag("open"));
  v1::ListTicketsResponse response;
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  for (;;) {  // pages of at most 1000 until --limit
    v1::ListTicketsResponse page;
    grpc::ClientContext context;
    grpc::Status status = stub->ListTickets(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status, args.server());
    response.set_total(page.total());
    for (auto& t : *page.mutable_tickets()) {
      if (response.tickets_size() < limit) *response.add_tickets() = std::move(t);
    }
    if (page.next_page_token().empty() || response.tickets_size() >= limit) break;
    request.set_page_token(page.next_page_token());
  }
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"ticket", "status", "priority", "assignee", "reopened", "reassigned", "between teams",
               "requester waited", "agent waited"});
  for (const v1::TicketSummary& t : response.tickets()) {
    table.AddRow({t.ticket_id(), ShortName(t.status()), ShortName(t.priority()), AssigneeText(t.assignee()),
                  std::to_string(t.reopen_count()), std::to_string(t.reassignment_count()),
                  std::to_string(t.team_reassignment_count()),
                  FormatDuration(Micros(t.clocks().requester_wait())), FormatDuration(Micros(t.clocks().agent_wait()))});
  }
  table.Print(std::cout);
  std::cout << "  (" << response.tickets_size() << " of " << response.total() << " tickets)\n";
  return 0;
}

}  // namespace rapport::cli
