// The score aggregates: per scope, per creation day, exact integer sums
// (store/sums.h) that GetScore and ListScores read instead of tickets.
//
//   aggregates  tenant ∅ kind scope_id ∅ be64(day)             -> sums
//   index       "sc" ∅ tenant ∅ kind scope_id ∅ be64(day) ticket -> ""
//
// `kind` is one byte, the v1::ScopeKind; the tenant scope has an empty id.
// A ticket counts on its creation day for the tenant, its requester,
// department and service, and its final assignee and team. Weighted values
// are stored in millionths, so sums are exact and order-independent.
#ifndef RAPPORT_SCORE_AGGREGATES_H_
#define RAPPORT_SCORE_AGGREGATES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/findings.pb.h"
#include "score/ticket_score.h"
#include "store/sums.h"

namespace rapport::score {

// Slots of the sums vector.
enum Slot : int {
  kTickets = 0,
  kWeight = 1,            // sum of w (before decay)
  kServicesWeight = 2,
  kServicesSum = 3,       // sum of w * services score
  kCommunicationsWeight = 4,
  kCommunicationsSum = 5,
  kShareBase = 6,         // + component: sum of w * the component's share of the ticket score
  kComponentWeightBase = 11,  // + component: sum of w where the component applies
  kComponentSumBase = 16,     // + component: sum of w * component value
  kSurveys = 21,
  kSurveyTop = 22,
  kSurveyBottom = 23,
  kFindingBase = 23,      // + finding kind (1..40): findings of that kind
};
inline constexpr double kMicro = 1e6;

int64_t DayOf(int64_t micros);
int64_t DayStartMicros(int64_t day);

// A scope as stored in TicketScoreRecord.scopes: kind byte + id.
std::string ScopeTag(v1::ScopeKind kind, absl::string_view id);
v1::ScopeKind ScopeTagKind(absl::string_view tag);
absl::string_view ScopeTagId(absl::string_view tag);

std::string AggregateKey(absl::string_view tenant, absl::string_view scope_tag, int64_t day);
// Prefix of every day of one scope, and of every scope of one kind.
std::string AggregateScopePrefix(absl::string_view tenant, absl::string_view scope_tag);
std::string AggregateKindPrefix(absl::string_view tenant, v1::ScopeKind kind);
// The day of an aggregate key.
int64_t AggregateKeyDay(absl::string_view key);
// Parses an aggregate key of `tenant`: the scope tag and the day.
bool ParseAggregateKey(absl::string_view key, size_t tenant_size, std::string* scope_tag, int64_t* day);

std::string ScopeIndexKey(absl::string_view tenant, absl::string_view scope_tag, int64_t day,
                          absl::string_view ticket_id);
std::string ScopeIndexPrefix(absl::string_view tenant, absl::string_view scope_tag);
std::string ScopeIndexDayKey(absl::string_view tenant, absl::string_view scope_tag, int64_t day);

// The record of what `state` contributes, given its score.
internal::TicketScoreRecord MakeRecord(const internal::TicketState& state, const TicketScore& score,
                                       const ScoreOptions& options);

}  // namespace rapport::score

#endif  // RAPPORT_SCORE_AGGREGATES_H_
