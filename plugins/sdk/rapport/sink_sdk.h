// The C++ SDK for sink plugins (ABI 1.3): write a class, get the C ABI.
//
//   class MySink : public rapport::sdk::Sink {
//    public:
//     static std::unique_ptr<MySink> Create(std::string_view config_json, std::string* error);
//     rapport_status Deliver(const std::vector<rapport::sdk::AlertEntry>& entries,
//                            rapport::sdk::DeliveryResult* result, std::string* error) override;
//   };
//   RAPPORT_SINK(rapport_builtin_mysink, MySink, "my", "1.0.0", "where it sends alerts");
//   RAPPORT_EXPORT_ENTRY(rapport_builtin_mysink)   // only in a loadable module
//
// The generated table catches every exception at the boundary and turns it
// into RAPPORT_ERR_INTERNAL with the exception's message in last_error.
#ifndef RAPPORT_SDK_SINK_SDK_H_
#define RAPPORT_SDK_SINK_SDK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rapport/plugin.h"
#include "rapport/sdk_internal.h"

namespace rapport::sdk {

// AlertState numbers of rapport/v1/alerts.proto (named apart from the
// adapter SDK's ticket statuses, so one plugin may include both SDKs).
enum AlertState : int32_t { kAlertFiring = 1, kAlertResolved = 2 };

// One alert stream entry, valid during Deliver() only (rapport_alert_entry).
struct AlertEntry {
  std::string_view tenant;
  uint64_t cursor = 0;
  uint64_t alert_id = 0;
  int32_t state = 0;
  std::string_view json;  // the entry as a JSON object
  bool replayed = false;  // handled before a restart: rebuild state, do not send
};

struct DeliveryResult {
  size_t handled = 0;  // the first `handled` entries are done with
  size_t refused = 0;  // of those, refused for good by the receiver
};

class Sink {
 public:
  virtual ~Sink() = default;
  // RAPPORT_OK when every entry was handled, or RAPPORT_ERR_RETRYABLE with
  // *error set: the entries after result->handled come again later.
  virtual rapport_status Deliver(const std::vector<AlertEntry>& entries, DeliveryResult* result,
                                 std::string* error) = 0;
  // Called about once a second between deliveries (wall clock, µs since the
  // epoch); a sink whose receiver forgets what is not re-sent re-sends here.
  virtual rapport_status Refresh(int64_t /*now_us*/, std::string* /*error*/) { return RAPPORT_OK; }
};

namespace internal {

inline int32_t Deliver(rapport_plugin_instance* handle, const rapport_alert_entry* entries, size_t count,
                       rapport_delivery* result) {
  return Guarded<Sink>(handle, [&](Sink& sink, std::string* error) -> int32_t {
    if (result == nullptr || (entries == nullptr && count > 0)) {
      *error = "deliver needs entries and a result";
      return RAPPORT_ERR_INTERNAL;
    }
    std::vector<AlertEntry> in;
    in.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const rapport_alert_entry& e = entries[i];
      in.push_back({View(e.tenant), e.cursor, e.alert_id, e.state, View(e.json), e.replayed != 0});
    }
    DeliveryResult out;
    const rapport_status status = sink.Deliver(in, &out, error);
    result->handled = out.handled;
    result->refused = out.refused;
    return status;
  });
}

inline int32_t Refresh(rapport_plugin_instance* handle, int64_t now_us) {
  return Guarded<Sink>(handle, [&](Sink& sink, std::string* error) -> int32_t { return sink.Refresh(now_us, error); });
}

template <typename T>
const rapport_plugin_api* SinkTable(const char* name, const char* version, const char* description) {
  static const rapport_plugin_api table = {
      sizeof(rapport_plugin_api), RAPPORT_PLUGIN_ABI_MAJOR, RAPPORT_PLUGIN_ABI_MINOR, name, version,
      RAPPORT_PLUGIN_SINK, description, &Create<Sink, T>, &Destroy<Sink>, &LastError<Sink>, /*translate=*/nullptr,
      &Deliver, &Refresh};
  return &table;
}

}  // namespace internal
}  // namespace rapport::sdk

// Defines `const rapport_plugin_api* function()` returning Class's table.
#define RAPPORT_SINK(function, Class, name, version, description) \
  extern "C" const rapport_plugin_api* function(void) {           \
    return ::rapport::sdk::internal::SinkTable<Class>(name, version, description); \
  }

#endif  // RAPPORT_SDK_SINK_SDK_H_
