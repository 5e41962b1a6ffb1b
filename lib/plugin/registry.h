// PluginRegistry: the host side of the plugin ABI (plugins/include/rapport/plugin.h).
//
//   PluginRegistry registry;
//   RegisterBuiltinPlugins(&registry);          // explicit, see plugins/builtin
//   registry.LoadDirectory("/usr/lib/rapport/plugins");
//   auto adapter = registry.CreateAdapter("servicenow", config);
//   auto out = (*adapter)->Translate(payload);  // canonical events + rejected records
//   auto sink = registry.CreateSink("webhook", config_json);
//   auto done = (*sink)->Deliver(entries);       // alert entries, from ABI 1.3
//
// A module is refused, with the reason logged and kept for ListPlugins, when
// it cannot be loaded, has no entry symbol, returns a table with another ABI
// major or a newer minor than this host, a table shorter than ABI 1.0's, a
// missing required function (a sink needs ABI 1.3 and deliver), or a name
// already registered for its kind (an adapter and a sink may share a name,
// as the jsonl ones do). A loaded library
// stays mapped while the registry or any instance created from it lives.
//
// Thread safety: register and load before sharing; then List, CreateAdapter
// and CreateSink may be called from any thread. An AdapterHandle or a
// SinkHandle is used by one thread at a time.
#ifndef RAPPORT_PLUGIN_REGISTRY_H_
#define RAPPORT_PLUGIN_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/plugin.h"
#include "absl/time/time.h"
#include "rapport/v1/alerts.pb.h"
#include "rapport/v1/events.pb.h"

namespace rapport {

struct PluginDescription {
  std::string name;
  std::string kind;         // "adapter", "sink"
  std::string version;
  std::string abi_version;  // "1.0"
  std::string origin;       // "built-in" or the module's path
  std::string description;
};

// What one payload translated to: events in the order the adapter emitted
// them, and the records it could not translate (index = record number): the
// first ones in detail, every one counted by code.
struct Translation {
  std::vector<v1::TicketEvent> events;
  std::vector<v1::EventError> rejected;
  std::map<std::string, uint64_t> rejected_by_code;
  // The adapter's note about a payload it read (ABI 1.1), e.g. "zendesk:
  // event type tags_changed: nothing to record"; "" when none.
  std::string note;
};

class AdapterHandle {
 public:
  ~AdapterHandle();
  AdapterHandle(const AdapterHandle&) = delete;
  AdapterHandle& operator=(const AdapterHandle&) = delete;

  // InvalidArgument for a permanent error (a malformed payload: do not
  // retry), Unavailable for a retryable one, Internal for a plugin bug; the
  // message is the plugin's. Every event gets `tenant`. At most
  // `max_rejected` rejections are kept in detail; all are counted. With a
  // `sink`, each event goes to it as the adapter emits it, not into
  // Translation::events, so a caller can screen and batch events without
  // holding all of them.
  using EventSink = std::function<void(v1::TicketEvent)>;
  absl::StatusOr<Translation> Translate(const std::string& tenant, const std::string& body,
                                        const std::string& content_type = "",
                                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                                        size_t max_rejected = SIZE_MAX, const EventSink& sink = nullptr);

  const std::string& name() const { return name_; }

 private:
  friend class PluginRegistry;
  AdapterHandle(std::shared_ptr<void> library, const rapport_plugin_api* api, rapport_plugin_instance* instance,
                std::string name)
      : library_(std::move(library)), api_(api), instance_(instance), name_(std::move(name)) {}

  std::shared_ptr<void> library_;  // keeps the module mapped; null for built-ins
  const rapport_plugin_api* api_;
  rapport_plugin_instance* instance_;
  std::string name_;
};

// What a sink did with entries: the first `handled` are done with (delivered,
// or refused for good and counted in `refused`); when `retry` is not OK the
// rest wait and are retried from the first unhandled.
struct SinkDelivery {
  size_t handled = 0;
  size_t refused = 0;
  std::string refused_why;  // the sink's reason, when refused > 0
  absl::Status retry;
};

class SinkHandle {
 public:
  ~SinkHandle();
  SinkHandle(const SinkHandle&) = delete;
  SinkHandle& operator=(const SinkHandle&) = delete;

  // Hands `entries` (cursor order) to the sink as JSON objects. With
  // `replayed`, they were handled before a restart and are given only so the
  // sink can rebuild its state. A sink that reports more handled than given,
  // or a code other than OK/RETRYABLE, is a plugin bug: logged, and the
  // batch is retried.
  SinkDelivery Deliver(const std::vector<v1::Alert>& entries, bool replayed = false);
  // The sink's periodic hook (Alertmanager re-sends what fires); OK when it
  // has none. Unavailable with the sink's reason when it failed.
  absl::Status Refresh(absl::Time now);

  const std::string& name() const { return name_; }

 private:
  friend class PluginRegistry;
  SinkHandle(std::shared_ptr<void> library, const rapport_plugin_api* api, rapport_plugin_instance* instance,
             std::string name)
      : library_(std::move(library)), api_(api), instance_(instance), name_(std::move(name)) {}
  std::string LastError() const;

  std::shared_ptr<void> library_;  // keeps the module mapped; null for built-ins
  const rapport_plugin_api* api_;
  rapport_plugin_instance* instance_;
  std::string name_;
};

// The JSON object a sink gets for an entry (proto3 JSON, the proto's field
// names): what the webhook sink posts and the jsonl sink writes.
std::string AlertEntryJson(const v1::Alert& entry);

class PluginRegistry {
 public:
  PluginRegistry() = default;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // A plugin compiled into this binary. FailedPrecondition with the reason
  // when its table is refused.
  absl::Status RegisterBuiltin(const rapport_plugin_api* api);

  // One module. FailedPrecondition with the reason when it is refused.
  absl::Status LoadModule(const std::string& path);

  // Every *.so in `directory`, in name order; refusals are logged and kept
  // (refused()), never fatal. NotFound when the directory does not exist.
  absl::Status LoadDirectory(const std::string& directory);

  std::vector<PluginDescription> List() const;
  // "path: reason" for every module refused so far.
  const std::vector<std::string>& refused() const { return refused_; }

  // A new instance of the named adapter. NotFound for an unknown name (the
  // message lists the known ones); InvalidArgument when the adapter refuses
  // `config`.
  absl::StatusOr<std::unique_ptr<AdapterHandle>> CreateAdapter(const std::string& name,
                                                               const std::string& config = "") const;
  // A new instance of the named sink with its configuration (a JSON object,
  // plugin.h). NotFound for an unknown name (the message lists the known
  // ones); InvalidArgument with the sink's reason when it refuses `config`.
  absl::StatusOr<std::unique_ptr<SinkHandle>> CreateSink(const std::string& name, const std::string& config) const;

 private:
  struct Entry {
    const rapport_plugin_api* api;
    std::shared_ptr<void> library;
    std::string origin;
  };
  absl::Status Add(const rapport_plugin_api* api, std::shared_ptr<void> library, const std::string& origin);

  // The entry and its origin for `name` of `kind`; NotFound listing the
  // names of that kind.
  absl::StatusOr<const Entry*> Find(int32_t kind, const std::string& name) const;
  // An instance of it, in its handle (AdapterHandle or SinkHandle).
  template <typename Handle>
  absl::StatusOr<std::unique_ptr<Handle>> Create(int32_t kind, const std::string& name,
                                                 const std::string& config) const;

  std::map<std::pair<int32_t, std::string>, Entry> plugins_;  // by kind and name
  std::vector<std::string> refused_;
};

// Checks a table against this host's ABI; the reason when it is refused.
absl::Status CheckPluginTable(const rapport_plugin_api* api);

}  // namespace rapport

#endif  // RAPPORT_PLUGIN_REGISTRY_H_
