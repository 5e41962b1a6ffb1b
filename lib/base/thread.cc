#include "base/thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace rapport {

void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

void LowerThisThreadPriority(int steps) {
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  int now = getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) now = 0;
  setpriority(PRIO_PROCESS, tid, std::min(19, now + steps));
}

}  // namespace rapport
