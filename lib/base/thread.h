// Scheduling of the calling thread.
#ifndef RAPPORT_BASE_THREAD_H_
#define RAPPORT_BASE_THREAD_H_

namespace rapport {

// Names the calling thread (at most 15 characters are kept), so that top -H
// and perf tell its CPU from the rest of the process.
void NameThisThread(const char* name);

// Lowers the calling thread's scheduling priority by `steps` nice levels
// below what it has now (capped at 19). Relative rather than absolute, so a
// process started at a raised or lowered priority keeps its threads' order.
// Linux only: there setpriority takes a thread id.
void LowerThisThreadPriority(int steps);

}  // namespace rapport

#endif  // RAPPORT_BASE_THREAD_H_
