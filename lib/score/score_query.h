// Read side of the score: reports, rankings and explanations, read from the
// per-day aggregates, so a query's cost follows the number of days in the
// window, not the number of tickets.
//
// Windows are on event time and whole UTC days: a ticket counts on its
// creation day. An unset window is all time, ending at the tenant's
// watermark; its `trend` compares the last `trend_window` days with the ones
// before. A set window's trend compares it with the window of equal length
// before it. Each ticket's weight decays with a half-life counted back from
// the window's end.
#ifndef RAPPORT_SCORE_SCORE_QUERY_H_
#define RAPPORT_SCORE_SCORE_QUERY_H_

#include "absl/status/statusor.h"
#include "rapport/v1/scores.pb.h"
#include "score/ticket_score.h"
#include "store/store.h"

namespace rapport::score {

// NotFound for an unknown tenant or ticket; InvalidArgument for a bad scope
// or window.
absl::StatusOr<v1::ScoreReport> GetScore(const Store& store, const v1::GetScoreRequest& request,
                                         const ScoreOptions& options);

// Every scope of request.kind() with a score in the window, ranked; paged.
// For SCOPE_KIND_TICKET it walks the tenant's tickets: a report, not a hot path.
absl::StatusOr<v1::ListScoresResponse> ListScores(const Store& store, const v1::ListScoresRequest& request,
                                                  const ScoreOptions& options);

// The score as component contributions whose points add up to it, largest
// first, each with the tickets and events behind it.
absl::StatusOr<v1::ScoreExplanation> ExplainScore(const Store& store, const v1::GetScoreRequest& request,
                                                  const ScoreOptions& options);

}  // namespace rapport::score

#endif  // RAPPORT_SCORE_SCORE_QUERY_H_
