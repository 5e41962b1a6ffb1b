#include "alert/rules.h"

#include "absl/strings/str_cat.h"

namespace rapport::alert {

const char* SubjectKindName(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::kTicket: return "ticket";
    case SubjectKind::kAgent: return "agent";
    case SubjectKind::kTeam: return "team";
    case SubjectKind::kRequester: return "requester";
    case SubjectKind::kService: return "service";
    case SubjectKind::kTenant: return "tenant";
  }
  return "ticket";
}

std::optional<SubjectKind> ParseSubjectKind(const std::string& name) {
  for (SubjectKind k : {SubjectKind::kTicket, SubjectKind::kAgent, SubjectKind::kTeam, SubjectKind::kRequester,
                        SubjectKind::kService, SubjectKind::kTenant}) {
    if (name == SubjectKindName(k)) return k;
  }
  return std::nullopt;
}

std::string SubjectKey(SubjectKind kind, const std::string& id) {
  static constexpr char kLetter[] = {'k', 'a', 't', 'r', 's', 'n'};
  return absl::StrCat(std::string(1, kLetter[static_cast<int>(kind)]), ":", id);
}

const std::vector<AlertRule>& DefaultRules() {
  static const std::vector<AlertRule> rules = [] {
    auto finding_rule = [](std::string name, v1::FindingKind kind, SubjectKind subject) {
      AlertRule r;
      r.name = std::move(name);
      r.kinds = {kind};
      r.subject = subject;
      r.quiet_us = 24 * kHourUs;
      r.rate_max = 20;
      r.rate_per_us = kHourUs;
      return r;
    };
    std::vector<AlertRule> out;
    out.push_back(finding_rule("rude-reply", v1::FINDING_KIND_RUDE_REPLY, SubjectKind::kAgent));
    out.push_back(finding_rule("pause-abuse", v1::FINDING_KIND_PAUSE_ABUSE, SubjectKind::kAgent));
    out.push_back(finding_rule("mass-closure", v1::FINDING_KIND_MASS_CLOSURE, SubjectKind::kAgent));
    out.push_back(
        finding_rule("resolved-without-contact", v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT, SubjectKind::kAgent));
    AlertRule vip = finding_rule("vip-distress", v1::FINDING_KIND_REQUESTER_DISTRESS, SubjectKind::kTicket);
    vip.where.requester_vip = true;
    out.push_back(std::move(vip));
    return out;
  }();
  return rules;
}

std::vector<AlertRule> TenantAlerts::RulesInForce() const {
  std::vector<AlertRule> out;
  if (defaults) {
    for (const AlertRule& shipped : DefaultRules()) {
      bool replaced = false;
      for (const AlertRule& own : rules) replaced = replaced || own.name == shipped.name;
      if (!replaced) out.push_back(shipped);
    }
  }
  out.insert(out.end(), rules.begin(), rules.end());
  return out;
}

const TenantAlerts& AlertSettings::For(const std::string& tenant) const {
  auto it = tenants.find(tenant);
  return it == tenants.end() ? defaults : it->second;
}

}  // namespace rapport::alert
