// Long polling of the global log (GET /v1/events?wait_ms=, `herald tail`):
// after a read that found nothing, wait until a read finds something.
//
// Threads: called on the HTTP worker that serves the poll; it blocks that
// thread until it returns. `stopping` is called on that thread too.
#pragma once

#include <chrono>
#include <functional>

#include "herald/store.h"

namespace herald::gateway {

enum class LogPollEnd { kEvents, kDeadline, kStopping };

// `page` is a read of the global log after `after` (with `limit` and
// `filter`). While it holds no events, waits for events the filter matches,
// at most until `deadline`, and reads again; `page` is then the last read
// (events, or an empty page whose next_after moves a client past what did
// not match). Looks at `stopping` before each wait, so it returns within
// `slice` of a stop. A store's wait may return early, spuriously or for
// events the filter does not match (EventStore::wait_for_matching_events):
// the next wait starts after what the reads skipped, so such a wake-up costs
// one read and the poll never spins. Fails with the store's status.
Result<LogPollEnd> wait_for_log_page(
    EventStore& store, Position after, std::size_t limit, const EventFilter& filter,
    std::chrono::steady_clock::time_point deadline, const std::function<bool()>& stopping,
    ReadSlice& page, std::chrono::milliseconds slice = std::chrono::milliseconds(250));

}  // namespace herald::gateway
