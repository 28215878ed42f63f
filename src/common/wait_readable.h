// What the clocks share to implement Clock::WaitReadable with poll(2).
#pragma once

#include <poll.h>

namespace spotbatch {

// The most descriptors one WaitReadable call watches (a command's exit, its output, a wake-up).
constexpr int kMaxWaitFds = 8;

// The index of the first entry poll(2) marked readable or hung up, or -1.
inline int FirstReady(const struct pollfd* p, int count) {
  for (int i = 0; i < count; ++i) {
    if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) return i;
  }
  return -1;
}

}  // namespace spotbatch
