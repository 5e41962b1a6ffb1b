// Small networking helpers for tests and benchmarks on loopback.
#ifndef RAPPORT_BASE_NET_H_
#define RAPPORT_BASE_NET_H_

namespace rapport {

// A TCP port on 127.0.0.1 that the kernel just handed out (bound, then
// released), or 0 when none could be had.
int PickFreeLoopbackPort();

}  // namespace rapport

#endif  // RAPPORT_BASE_NET_H_
