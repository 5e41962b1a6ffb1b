// The built-in detector units (detector.h), one family of findings each.
// BuiltinDetectors() (detectors.cc) lists them in the order they run.
#ifndef RAPPORT_DETECT_UNITS_H_
#define RAPPORT_DETECT_UNITS_H_

#include <memory>

#include "detect/detector.h"

namespace rapport::detect {

// FIRST_RESPONSE_BREACH, RESOLUTION_BREACH: the second-opinion SLA clocks.
std::unique_ptr<Detector> NewSlaDetector();
// REPLY_GAP: a requester message that needs an answer, unanswered too long.
std::unique_ptr<Detector> NewReplyGapDetector();
// STALE: open, not legitimately paused, no public activity for too long.
std::unique_ptr<Detector> NewStaleDetector();
// RUDE_REPLY, CURT_TO_UPSET_REQUESTER, REQUESTER_DISTRESS, and the agent tone
// the communication score reads.
std::unique_ptr<Detector> NewToneDetector();
// RESOLVED_WITHOUT_CONTACT, RESOLVED_WHILE_REQUESTER_WAITING,
// REOPENED_AFTER_RESOLVE, SLA_EDGE_CLOSURE, PRIORITY_DOWNGRADE_BEFORE_RESOLVE,
// and the cross-ticket checks fed by creations and resolutions.
std::unique_ptr<Detector> NewClosureDetector();
// PAUSE_ABUSE, and the legitimate and suspect pause times.
std::unique_ptr<Detector> NewPauseDetector();
// PING_PONG.
std::unique_ptr<Detector> NewPingPongDetector();

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_UNITS_H_
