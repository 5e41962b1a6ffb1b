#include "detect/findings.h"

#include "absl/strings/strip.h"
#include "store/keys.h"

namespace rapport::detect {

std::string FindingKey(const std::string& tenant, const std::string& ticket, const std::string& id) {
  return keys::Finding(tenant, ticket, id);
}

std::string KindName(v1::FindingKind kind) {
  absl::string_view name = v1::FindingKind_Name(kind);
  absl::ConsumePrefix(&name, "FINDING_KIND_");
  return std::string(name);
}

std::string SeverityName(v1::Severity severity) {
  absl::string_view name = v1::Severity_Name(severity);
  absl::ConsumePrefix(&name, "SEVERITY_");
  return std::string(name);
}

}  // namespace rapport::detect
