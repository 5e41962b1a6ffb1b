#include "plugin/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "event/event.h"
#include "google/protobuf/util/json_util.h"

namespace rapport {
namespace {

// ABI 1.0's table ends with translate: anything shorter is refused.
constexpr size_t kMinimumTableSize = offsetof(rapport_plugin_api, translate) + sizeof(void*);
// ABI 1.3's, the first with sinks, ends with refresh.
constexpr size_t kSinkTableSize = offsetof(rapport_plugin_api, refresh) + sizeof(void*);

const char* KindName(int32_t kind) { return kind == RAPPORT_PLUGIN_ADAPTER ? "adapter" : "sink"; }

std::string View(rapport_str s) { return s.data ? std::string(s.data, s.size) : std::string(); }

// A member of a plugin's event struct, if the plugin's struct has it.
#define RAPPORT_HAS_MEMBER(event, member) \
  ((event)->struct_size >= offsetof(rapport_event, member) + sizeof((event)->member))

// Copies the plugin's event into a proto (the plugin's memory is only valid
// during the callback).
v1::TicketEvent ToProto(const rapport_event* e) {
  v1::TicketEvent out;
  out.set_tenant(View(e->tenant));
  out.set_ticket_id(View(e->ticket_id));
  out.set_event_id(View(e->event_id));
  *out.mutable_occurred_at() = FromMicros(e->occurred_at_us);
  out.set_source(View(e->source));
  out.set_kind(static_cast<v1::EventKind>(e->kind));
  if (e->actor_id.size || e->actor_role || e->actor_team.size) {
    out.mutable_actor()->set_id(View(e->actor_id));
    out.mutable_actor()->set_role(static_cast<v1::ActorRole>(e->actor_role));
    out.mutable_actor()->set_team(View(e->actor_team));
  }
  out.set_status(static_cast<v1::TicketStatus>(e->status));
  out.set_status_reason(View(e->status_reason));
  out.set_priority(static_cast<v1::Priority>(e->priority));
  if (e->assignee_agent_id.size || e->assignee_team.size || e->kind == v1::EVENT_KIND_ASSIGNMENT_CHANGED) {
    out.mutable_assignee()->set_agent_id(View(e->assignee_agent_id));
    out.mutable_assignee()->set_team(View(e->assignee_team));
  }
  if (e->requester_id.size || e->requester_department.size || e->requester_vip) {
    out.mutable_requester()->set_id(View(e->requester_id));
    out.mutable_requester()->set_department(View(e->requester_department));
    out.mutable_requester()->set_vip(e->requester_vip != 0);
  }
  out.set_service(View(e->service));
  out.set_category(View(e->category));
  if (e->has_comment) {
    out.mutable_comment()->set_text(View(e->comment_text));
    out.mutable_comment()->set_public_(e->comment_public != 0);
  }
  if (e->has_survey) {
    out.mutable_survey()->set_score(e->survey_score);
    out.mutable_survey()->set_scale_min(e->survey_scale_min);
    out.mutable_survey()->set_scale_max(e->survey_scale_max);
    out.mutable_survey()->set_text(View(e->survey_text));
  }
  if (e->has_resolution) {
    out.mutable_resolution()->set_code(View(e->resolution_code));
    out.mutable_resolution()->set_notes(View(e->resolution_notes));
  }
  if (RAPPORT_HAS_MEMBER(e, attribute_count)) {
    for (size_t i = 0; i < e->attribute_count; ++i) {
      (*out.mutable_attributes())[View(e->attributes[i].key)] = View(e->attributes[i].value);
    }
  }
  if (RAPPORT_HAS_MEMBER(e, identity_count) && e->identities != nullptr) {
    for (size_t i = 0; i < e->identity_count; ++i) {
      v1::Identity* identity = out.add_identities();
      const rapport_identity& in = e->identities[i];
      for (size_t k = 0; in.ids != nullptr && k < in.id_count; ++k) identity->add_ids(View(in.ids[k]));
    }
  }
  return out;
}

struct HostContext {
  Translation* out;
  const std::string* tenant;
  size_t max_rejected;
  const AdapterHandle::EventSink* sink;  // null: events go to out->events
};

int Emit(void* context, const rapport_event* event) {
  auto* host = static_cast<HostContext*>(context);
  if (event == nullptr || event->struct_size < offsetof(rapport_event, attributes)) return 1;
  v1::TicketEvent proto = ToProto(event);
  // A payload speaks for the tenant it was sent for, whatever a plugin (or a
  // canonical event in it) says.
  proto.set_tenant(*host->tenant);
  if (host->sink != nullptr && *host->sink) {
    (*host->sink)(std::move(proto));
  } else {
    host->out->events.push_back(std::move(proto));
  }
  return 0;
}

void Reject(void* context, uint64_t record, const char* code, const char* message) {
  auto* host = static_cast<HostContext*>(context);
  const char* kind = code ? code : "INVALID_VALUE";
  host->out->rejected_by_code[kind]++;
  // Counted, not kept: a payload of bad records must not cost memory per record.
  if (host->out->rejected.size() >= host->max_rejected) return;
  v1::EventError error;
  error.set_index(static_cast<uint32_t>(record));
  error.set_code(kind);
  error.set_message(message ? message : "");
  host->out->rejected.push_back(std::move(error));
}

}  // namespace

absl::Status CheckPluginTable(const rapport_plugin_api* api) {
  if (api == nullptr) return absl::FailedPreconditionError("the entry function returned no table");
  if (api->struct_size < offsetof(rapport_plugin_api, abi_minor) + sizeof(uint32_t)) {
    return absl::FailedPreconditionError(absl::StrCat("short table (", api->struct_size, " bytes)"));
  }
  if (api->abi_major != RAPPORT_PLUGIN_ABI_MAJOR) {
    return absl::FailedPreconditionError(absl::StrCat("wrong ABI major ", api->abi_major, " (this host speaks ",
                                                      RAPPORT_PLUGIN_ABI_MAJOR, ".x)"));
  }
  if (api->abi_minor > RAPPORT_PLUGIN_ABI_MINOR) {
    return absl::FailedPreconditionError(absl::StrCat("ABI ", api->abi_major, ".", api->abi_minor,
                                                      " is newer than this host's ", RAPPORT_PLUGIN_ABI_MAJOR, ".",
                                                      RAPPORT_PLUGIN_ABI_MINOR));
  }
  if (api->struct_size < kMinimumTableSize) {
    return absl::FailedPreconditionError(
        absl::StrCat("short table (", api->struct_size, " bytes, ABI 1.0 needs ", kMinimumTableSize, ")"));
  }
  if (api->name == nullptr || api->name[0] == '\0') return absl::FailedPreconditionError("the table has no name");
  if (api->kind != RAPPORT_PLUGIN_ADAPTER && api->kind != RAPPORT_PLUGIN_SINK) {
    return absl::FailedPreconditionError(absl::StrCat("unknown plugin kind ", api->kind));
  }
  if (api->kind == RAPPORT_PLUGIN_SINK && (api->abi_minor < 3 || api->struct_size < kSinkTableSize)) {
    return absl::FailedPreconditionError(
        absl::StrCat("a sink needs ABI 1.3 or later (this one says ", api->abi_major, ".", api->abi_minor, ", ",
                     api->struct_size, " bytes)"));
  }
  const char* missing = api->create == nullptr        ? "create"
                        : api->destroy == nullptr     ? "destroy"
                        : api->last_error == nullptr  ? "last_error"
                        : api->kind == RAPPORT_PLUGIN_ADAPTER && api->translate == nullptr ? "translate"
                        : api->kind == RAPPORT_PLUGIN_SINK && api->deliver == nullptr      ? "deliver"
                                                                                           : nullptr;
  if (missing != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("missing required function ", missing));
  }
  return absl::OkStatus();
}

absl::Status PluginRegistry::Add(const rapport_plugin_api* api, std::shared_ptr<void> library,
                                 const std::string& origin) {
  if (absl::Status s = CheckPluginTable(api); !s.ok()) return s;
  const auto key = std::make_pair(api->kind, std::string(api->name));
  if (auto it = plugins_.find(key); it != plugins_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("duplicate ", KindName(api->kind), " name '", api->name,
                                                      "' (already from ", it->second.origin, ")"));
  }
  plugins_.emplace(key, Entry{api, std::move(library), origin});
  return absl::OkStatus();
}

absl::Status PluginRegistry::RegisterBuiltin(const rapport_plugin_api* api) { return Add(api, nullptr, "built-in"); }

absl::Status PluginRegistry::LoadModule(const std::string& path) {
  auto refuse = [&](const absl::Status& why) {
    refused_.push_back(absl::StrCat(path, ": ", why.message()));
    Log(LogLevel::kWarning, "plugin refused", {{"path", path}, {"reason", std::string(why.message())}});
    return why;
  };
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return refuse(absl::FailedPreconditionError(absl::StrCat("dlopen failed: ", why ? why : "unknown error")));
  }
  std::shared_ptr<void> library(handle, [](void* h) { dlclose(h); });
  auto entry = reinterpret_cast<rapport_plugin_entry_fn>(dlsym(handle, RAPPORT_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    return refuse(absl::FailedPreconditionError(absl::StrCat("missing symbol ", RAPPORT_PLUGIN_ENTRY_SYMBOL)));
  }
  if (absl::Status s = Add(entry(), std::move(library), path); !s.ok()) return refuse(s);
  Log(LogLevel::kInfo, "plugin loaded", {{"path", path}, {"name", entry()->name}});
  return absl::OkStatus();
}

absl::Status PluginRegistry::LoadDirectory(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    return absl::NotFoundError(absl::StrCat("plugin directory ", directory, " does not exist"));
  }
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".so") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) (void)LoadModule(path);
  return absl::OkStatus();
}

std::vector<PluginDescription> PluginRegistry::List() const {
  std::vector<PluginDescription> out;
  for (const auto& [key, e] : plugins_) {
    out.push_back({key.second, KindName(e.api->kind),
                   e.api->version ? e.api->version : "", absl::StrCat(e.api->abi_major, ".", e.api->abi_minor),
                   e.origin, e.api->description ? e.api->description : ""});
  }
  return out;
}

absl::StatusOr<const PluginRegistry::Entry*> PluginRegistry::Find(int32_t kind, const std::string& name) const {
  if (auto it = plugins_.find({kind, name}); it != plugins_.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [key, e] : plugins_) {
    if (key.first == kind) names.push_back(key.second);
  }
  return absl::NotFoundError(absl::StrCat("no ", KindName(kind), " named '", name, "' (available: ",
                                          absl::StrJoin(names, ", "), ")"));
}

template <typename Handle>
absl::StatusOr<std::unique_ptr<Handle>> PluginRegistry::Create(int32_t kind, const std::string& name,
                                                               const std::string& config) const {
  auto entry = Find(kind, name);
  if (!entry.ok()) return entry.status();
  char error[512] = "";
  rapport_plugin_instance* instance = (*entry)->api->create(config.data(), config.size(), error, sizeof(error));
  if (instance == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(kind), " '", name, "' refused its configuration: ", error));
  }
  return std::unique_ptr<Handle>(new Handle((*entry)->library, (*entry)->api, instance, name));
}

absl::StatusOr<std::unique_ptr<AdapterHandle>> PluginRegistry::CreateAdapter(const std::string& name,
                                                                            const std::string& config) const {
  return Create<AdapterHandle>(RAPPORT_PLUGIN_ADAPTER, name, config);
}

absl::StatusOr<std::unique_ptr<SinkHandle>> PluginRegistry::CreateSink(const std::string& name,
                                                                      const std::string& config) const {
  return Create<SinkHandle>(RAPPORT_PLUGIN_SINK, name, config);
}

AdapterHandle::~AdapterHandle() { api_->destroy(instance_); }

absl::StatusOr<Translation> AdapterHandle::Translate(const std::string& tenant, const std::string& body,
                                                     const std::string& content_type,
                                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                                     size_t max_rejected, const EventSink& sink) {
  Translation out;
  HostContext context{&out, &tenant, max_rejected, &sink};
  std::vector<rapport_pair> pairs;
  for (const auto& [k, v] : headers) pairs.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
  rapport_payload payload{sizeof(rapport_payload), {tenant.data(), tenant.size()}, {body.data(), body.size()},
                          {content_type.data(), content_type.size()}, pairs.data(), pairs.size()};
  rapport_host host{sizeof(rapport_host), &context, &Emit, &Reject};
  int32_t code = api_->translate(instance_, &payload, &host);
  if (code == RAPPORT_OK) {
    if (api_->abi_minor >= 1) {  // a 1.0 plugin's last_error after success means nothing
      const char* note = api_->last_error(instance_);
      if (note != nullptr) out.note = note;
    }
    return out;
  }
  const char* message = api_->last_error(instance_);
  std::string what = absl::StrCat(name_, ": ", message && *message ? message : "translation failed");
  switch (code) {
    case RAPPORT_ERR_PERMANENT: return absl::InvalidArgumentError(what);
    case RAPPORT_ERR_RETRYABLE: return absl::UnavailableError(what);
    default: return absl::InternalError(what);
  }
}

std::string AlertEntryJson(const v1::Alert& entry) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // An Alert has no Any field and no map: printing it cannot fail.
  (void)google::protobuf::util::MessageToJsonString(entry, &json, options);
  return json;
}

SinkHandle::~SinkHandle() { api_->destroy(instance_); }

std::string SinkHandle::LastError() const {
  const char* message = api_->last_error(instance_);
  return message != nullptr && *message ? message : "no reason given";
}

SinkDelivery SinkHandle::Deliver(const std::vector<v1::Alert>& entries, bool replayed) {
  std::vector<std::string> json;
  json.reserve(entries.size());
  std::vector<rapport_alert_entry> in;
  in.reserve(entries.size());
  for (const v1::Alert& a : entries) {
    json.push_back(AlertEntryJson(a));
    in.push_back({sizeof(rapport_alert_entry), {a.tenant().data(), a.tenant().size()}, a.cursor(), a.alert_id(),
                  a.state(), {json.back().data(), json.back().size()}, replayed ? 1 : 0});
  }
  rapport_delivery result{sizeof(rapport_delivery), 0, 0};
  const int32_t code = api_->deliver(instance_, in.data(), in.size(), &result);
  SinkDelivery out;
  if (result.handled > entries.size() || result.refused > result.handled) {
    out.retry = absl::InternalError(absl::StrCat(name_, ": the sink reported ", result.handled, " handled and ",
                                                 result.refused, " refused of ", entries.size(), " entries"));
    return out;
  }
  out.handled = result.handled;
  out.refused = result.refused;
  if (out.refused > 0) out.refused_why = LastError();
  if (code == RAPPORT_OK && out.handled < entries.size()) {
    out.retry = absl::InternalError(
        absl::StrCat(name_, ": the sink returned OK with ", out.handled, " of ", entries.size(), " entries handled"));
  } else if (code == RAPPORT_ERR_RETRYABLE) {
    out.retry = absl::UnavailableError(absl::StrCat(name_, ": ", LastError()));
  } else if (code != RAPPORT_OK) {
    out.retry = absl::InternalError(absl::StrCat(name_, ": unexpected code ", code, ": ", LastError()));
  }
  return out;
}

absl::Status SinkHandle::Refresh(absl::Time now) {
  if (api_->refresh == nullptr) return absl::OkStatus();
  const int32_t code = api_->refresh(instance_, absl::ToUnixMicros(now));
  if (code == RAPPORT_OK) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(name_, ": ", LastError()));
}

}  // namespace rapport
