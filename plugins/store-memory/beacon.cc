#include "beacon.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace herald::plugins::memory {

void Beacon::wait(std::uint32_t seen, std::chrono::steady_clock::time_point deadline) const {
  auto since_epoch = deadline.time_since_epoch();
  if (since_epoch.count() <= 0) return;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  timespec at{};
  at.tv_sec = static_cast<time_t>(secs.count());
  at.tv_nsec = static_cast<long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
  sleepers_.fetch_add(1);
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, the clock
  // of std::chrono::steady_clock; spurious returns are fine for callers.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&generation_), FUTEX_WAIT_BITSET_PRIVATE,
            seen, &at, nullptr, FUTEX_BITSET_MATCH_ANY);
  sleepers_.fetch_sub(1);
}

void Beacon::wake_all() {
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&generation_), FUTEX_WAKE_PRIVATE,
              INT_MAX, nullptr, nullptr, 0);
  }
}

}  // namespace herald::plugins::memory
