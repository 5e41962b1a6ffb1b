// jsonl: canonical events as proto-JSON, one per line (the format of
// data/samples/events.jsonl and of `rapport ingest FILE.jsonl`). A line that
// is not a TicketEvent is rejected with the parser's reason; the others go on.
#include "event/event.h"
#include "event/json.h"
#include "rapport/adapter_sdk.h"

namespace rapport::adapters {
namespace {

sdk::Event FromProto(const v1::TicketEvent& p) {
  sdk::Event e;
  e.tenant = p.tenant();
  e.ticket_id = p.ticket_id();
  e.event_id = p.event_id();
  e.occurred_at_us = ToMicros(p.occurred_at());
  e.source = p.source().empty() ? "jsonl" : p.source();
  e.kind = p.kind();
  e.actor_id = p.actor().id();
  e.actor_role = p.actor().role();
  e.actor_team = p.actor().team();
  e.status = p.status();
  e.status_reason = p.status_reason();
  e.priority = p.priority();
  e.assignee_agent_id = p.assignee().agent_id();
  e.assignee_team = p.assignee().team();
  e.requester_id = p.requester().id();
  e.requester_department = p.requester().department();
  e.requester_vip = p.requester().vip();
  e.service = p.service();
  e.category = p.category();
  e.has_comment = p.has_comment();
  e.comment_text = p.comment().text();
  e.comment_public = p.comment().public_();
  e.has_survey = p.has_survey();
  e.survey_score = p.survey().score();
  e.survey_scale_min = p.survey().scale_min();
  e.survey_scale_max = p.survey().scale_max();
  e.survey_text = p.survey().text();
  e.has_resolution = p.has_resolution();
  e.resolution_code = p.resolution().code();
  e.resolution_notes = p.resolution().notes();
  for (const auto& [k, v] : p.attributes()) e.attributes.emplace_back(k, v);
  return e;
}

class JsonlAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<JsonlAdapter> Create(std::string_view, std::string*) { return std::make_unique<JsonlAdapter>(); }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    std::string_view body = payload.body;
    uint64_t line = 0, emitted = 0, rejected = 0;
    std::string first;
    while (!body.empty()) {
      size_t end = body.find('\n');
      std::string_view text = body.substr(0, end);
      body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
      const uint64_t record = line++;
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
      if (text.empty()) continue;
      auto event = ParseEventJson(absl::string_view(text.data(), text.size()));
      if (!event.ok()) {
        std::string message = "line " + std::to_string(record + 1) + ": " + std::string(event.status().message());
        if (rejected++ == 0) first = message;
        out.Reject(record, "INVALID_JSON", message);
        continue;
      }
      ++emitted;
      if (!out.Emit(FromProto(*event))) break;
    }
    if (emitted == 0 && rejected > 0) {
      *error = first;
      return RAPPORT_ERR_PERMANENT;
    }
    return RAPPORT_OK;
  }
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_jsonl, rapport::adapters::JsonlAdapter, "jsonl", "1.0.0",
                "canonical events as proto-JSON lines")
