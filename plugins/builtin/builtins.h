// The adapters and alert sinks compiled into rapportd and the CLI,
// registered explicitly.
#ifndef RAPPORT_PLUGINS_BUILTIN_BUILTINS_H_
#define RAPPORT_PLUGINS_BUILTIN_BUILTINS_H_

#include "absl/status/status.h"
#include "plugin/registry.h"

namespace rapport {

// Adapters servicenow, jira, zendesk, freshservice, jsonl, csv; sinks jsonl,
// webhook, alertmanager.
absl::Status RegisterBuiltinPlugins(PluginRegistry* registry);

}  // namespace rapport

#endif  // RAPPORT_PLUGINS_BUILTIN_BUILTINS_H_
