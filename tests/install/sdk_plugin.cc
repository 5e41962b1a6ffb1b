// A third-party adapter built against the installed SDK only: each line
// "TICKET EVENT_ID" of a payload becomes a TICKET_CREATED event.
#include <memory>
#include <sstream>
#include <string>

#include "rapport/adapter_sdk.h"

namespace {

class LinesAdapter final : public rapport::sdk::Adapter {
 public:
  static std::unique_ptr<LinesAdapter> Create(std::string_view, std::string*) {
    return std::make_unique<LinesAdapter>();
  }

  rapport_status Translate(const rapport::sdk::Payload& payload, rapport::sdk::Output& out,
                           std::string*) override {
    std::istringstream lines{std::string(payload.body)};
    std::string ticket, id;
    while (lines >> ticket >> id) {
      rapport::sdk::Event event;
      event.tenant = std::string(payload.tenant);
      event.ticket_id = ticket;
      event.event_id = id;
      event.occurred_at_us = 1767225600LL * 1000000;  // 2026-01-01
      event.source = "lines-sdk";
      event.kind = rapport::sdk::kCreated;
      event.status = rapport::sdk::kNew;
      if (!out.Emit(event)) break;
    }
    return RAPPORT_OK;
  }
};

}  // namespace

RAPPORT_ADAPTER(lines_sdk_adapter, LinesAdapter, "lines-sdk", "1.0.0", "TICKET EVENT_ID lines");
RAPPORT_EXPORT_ENTRY(lines_sdk_adapter)
