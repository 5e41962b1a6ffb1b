// The C++ SDK for adapter plugins: write a class, get the C ABI.
//
//   class MyAdapter : public rapport::sdk::Adapter {
//    public:
//     static std::unique_ptr<MyAdapter> Create(std::string_view config, std::string* error);
//     rapport_status Translate(const rapport::sdk::Payload& payload, rapport::sdk::Output& out,
//                              std::string* error) override;
//   };
//   RAPPORT_ADAPTER(rapport_builtin_myadapter, MyAdapter, "my", "1.0.0", "what it reads");
//   RAPPORT_EXPORT_ENTRY(rapport_builtin_myadapter)   // only in a loadable module
//
// The generated table catches every exception at the boundary and turns it
// into RAPPORT_ERR_INTERNAL with the exception's message in last_error.
#ifndef RAPPORT_SDK_ADAPTER_SDK_H_
#define RAPPORT_SDK_ADAPTER_SDK_H_

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rapport/plugin.h"
#include "rapport/sdk_internal.h"

namespace rapport::sdk {

// Enumeration numbers of rapport/v1/events.proto, for plugins without protobuf.
enum Kind : int32_t { kCreated = 1, kStatusChanged, kAssignmentChanged, kPriorityChanged, kCommentAdded, kSurveyReceived, kFieldsUpdated, kIdentity };
enum Role : int32_t { kRequester = 1, kAgent, kSystem, kOther };
enum Status : int32_t { kNew = 1, kInProgress, kPendingRequester, kPendingThirdParty, kResolved, kClosed, kCanceled };
enum Priority : int32_t { kCritical = 1, kHigh, kMedium, kLow };

struct Event {
  std::string tenant, ticket_id, event_id;
  int64_t occurred_at_us = 0;
  std::string source;
  int32_t kind = 0;
  std::string actor_id;
  int32_t actor_role = 0;
  std::string actor_team;
  int32_t status = 0;
  std::string status_reason;
  int32_t priority = 0;
  std::string assignee_agent_id, assignee_team;
  std::string requester_id, requester_department;
  bool requester_vip = false;
  std::string service, category;
  bool has_comment = false;
  std::string comment_text;
  bool comment_public = false;
  bool has_survey = false;
  double survey_score = 0, survey_scale_min = 0, survey_scale_max = 0;
  std::string survey_text;
  bool has_resolution = false;
  std::string resolution_code, resolution_notes;
  std::vector<std::pair<std::string, std::string>> attributes;
  // Each entry: the ids that name one person, primary first (ABI 1.2).
  std::vector<std::vector<std::string>> identities;
};

struct Payload {
  std::string_view tenant, body, content_type;
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // lower-case names

  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

class Output {
 public:
  virtual ~Output() = default;
  // False when the host asks to stop.
  virtual bool Emit(const Event& event) = 0;
  virtual void Reject(uint64_t record, const std::string& code, const std::string& message) = 0;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // RAPPORT_OK, or an error for the whole payload with *error set.
  virtual rapport_status Translate(const Payload& payload, Output& out, std::string* error) = 0;
};

namespace internal {

class HostOutput final : public Output {
 public:
  explicit HostOutput(const rapport_host* host) : host_(host) {}
  bool Emit(const Event& e) override {
    std::vector<rapport_pair> attributes;
    attributes.reserve(e.attributes.size());
    for (const auto& [k, v] : e.attributes) attributes.push_back({Str(k), Str(v)});
    std::vector<std::vector<rapport_str>> ids(e.identities.size());
    std::vector<rapport_identity> identities;
    identities.reserve(e.identities.size());
    for (size_t i = 0; i < e.identities.size(); ++i) {
      for (const std::string& id : e.identities[i]) ids[i].push_back(Str(id));
      identities.push_back({ids[i].data(), ids[i].size()});
    }
    rapport_event c{};
    c.struct_size = sizeof(rapport_event);
    c.tenant = Str(e.tenant);
    c.ticket_id = Str(e.ticket_id);
    c.event_id = Str(e.event_id);
    c.occurred_at_us = e.occurred_at_us;
    c.source = Str(e.source);
    c.kind = e.kind;
    c.actor_id = Str(e.actor_id);
    c.actor_role = e.actor_role;
    c.actor_team = Str(e.actor_team);
    c.status = e.status;
    c.status_reason = Str(e.status_reason);
    c.priority = e.priority;
    c.assignee_agent_id = Str(e.assignee_agent_id);
    c.assignee_team = Str(e.assignee_team);
    c.requester_id = Str(e.requester_id);
    c.requester_department = Str(e.requester_department);
    c.requester_vip = e.requester_vip;
    c.service = Str(e.service);
    c.category = Str(e.category);
    c.has_comment = e.has_comment;
    c.comment_text = Str(e.comment_text);
    c.comment_public = e.comment_public;
    c.has_survey = e.has_survey;
    c.survey_score = e.survey_score;
    c.survey_scale_min = e.survey_scale_min;
    c.survey_scale_max = e.survey_scale_max;
    c.survey_text = Str(e.survey_text);
    c.has_resolution = e.has_resolution;
    c.resolution_code = Str(e.resolution_code);
    c.resolution_notes = Str(e.resolution_notes);
    c.attributes = attributes.data();
    c.attribute_count = attributes.size();
    c.identities = identities.data();
    c.identity_count = identities.size();
    return host_->emit(host_->context, &c) == 0;
  }
  void Reject(uint64_t record, const std::string& code, const std::string& message) override {
    if (host_->reject != nullptr) host_->reject(host_->context, record, code.c_str(), message.c_str());
  }

 private:
  const rapport_host* host_;
};

inline int32_t Translate(rapport_plugin_instance* handle, const rapport_payload* payload, const rapport_host* host) {
  return Guarded<Adapter>(handle, [&](Adapter& adapter, std::string* error) -> int32_t {
    if (payload == nullptr || host == nullptr || host->emit == nullptr) {
      *error = "translate needs a payload and a host with emit";
      return RAPPORT_ERR_INTERNAL;
    }
    Payload p;
    p.tenant = View(payload->tenant);
    p.body = View(payload->body);
    p.content_type = View(payload->content_type);
    for (size_t i = 0; i < payload->header_count; ++i) {
      p.headers.emplace_back(View(payload->headers[i].key), View(payload->headers[i].value));
    }
    HostOutput out(host);
    return adapter.Translate(p, out, error);
  });
}

template <typename T>
const rapport_plugin_api* Table(const char* name, const char* version, const char* description) {
  static const rapport_plugin_api table = {
      sizeof(rapport_plugin_api), RAPPORT_PLUGIN_ABI_MAJOR, RAPPORT_PLUGIN_ABI_MINOR, name, version,
      RAPPORT_PLUGIN_ADAPTER, description, &Create<Adapter, T>, &Destroy<Adapter>, &LastError<Adapter>, &Translate,
      /*deliver=*/nullptr, /*refresh=*/nullptr};
  return &table;
}

}  // namespace internal
}  // namespace rapport::sdk

// Defines `const rapport_plugin_api* function()` returning Class's table.
#define RAPPORT_ADAPTER(function, Class, name, version, description) \
  extern "C" const rapport_plugin_api* function(void) {              \
    return ::rapport::sdk::internal::Table<Class>(name, version, description); \
  }

#endif  // RAPPORT_SDK_ADAPTER_SDK_H_
