#include "builtin/builtins.h"

extern "C" {
const rapport_plugin_api* rapport_builtin_servicenow(void);
const rapport_plugin_api* rapport_builtin_jira(void);
const rapport_plugin_api* rapport_builtin_zendesk(void);
const rapport_plugin_api* rapport_builtin_freshservice(void);
const rapport_plugin_api* rapport_builtin_jsonl(void);
const rapport_plugin_api* rapport_builtin_csv(void);
const rapport_plugin_api* rapport_builtin_jsonl_sink(void);
const rapport_plugin_api* rapport_builtin_webhook_sink(void);
const rapport_plugin_api* rapport_builtin_alertmanager_sink(void);
}

namespace rapport {

absl::Status RegisterBuiltinPlugins(PluginRegistry* registry) {
  for (auto table : {rapport_builtin_servicenow, rapport_builtin_jira, rapport_builtin_zendesk,
                     rapport_builtin_freshservice, rapport_builtin_jsonl, rapport_builtin_csv, rapport_builtin_jsonl_sink,
                     rapport_builtin_webhook_sink, rapport_builtin_alertmanager_sink}) {
    if (absl::Status s = registry->RegisterBuiltin(table()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace rapport
