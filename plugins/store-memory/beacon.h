// A wake-up signal for many waiters at once: a 32-bit generation counter on
// which waiters sleep with futex(2).
//
// wake_all() bumps the generation and wakes every sleeper with one system
// call. Unlike a condition variable, the woken threads then do not queue up
// on a mutex to re-check their condition: with 32 appenders woken after each
// group commit, that convoy costs more CPU than the commit itself. Linux
// only, as herald is.
//
// Any thread may call anything. The usual loop:
//   for (;;) { auto seen = beacon.generation(); if (condition()) break; beacon.wait(seen,
//   deadline); }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace herald::plugins::memory {

class Beacon {
 public:
  std::uint32_t generation() const { return generation_.load(); }
  // Sleeps while the generation is `seen`, at most until `deadline`. May
  // return early; callers re-check their condition.
  void wait(std::uint32_t seen, std::chrono::steady_clock::time_point deadline) const;
  void wake_all();

 private:
  // Sequentially consistent on purpose: a waiter announces itself in
  // sleepers_ before the kernel re-checks generation_, and a waker bumps
  // generation_ before it reads sleepers_, so one of them always sees the
  // other.
  mutable std::atomic<std::uint32_t> generation_{0};
  mutable std::atomic<std::uint32_t> sleepers_{0};
};

}  // namespace herald::plugins::memory
