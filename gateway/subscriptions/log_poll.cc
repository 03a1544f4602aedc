#include "subscriptions/log_poll.h"

#include <algorithm>

namespace herald::gateway {

Result<LogPollEnd> wait_for_log_page(EventStore& store, Position after, std::size_t limit,
                                     const EventFilter& filter,
                                     std::chrono::steady_clock::time_point deadline,
                                     const std::function<bool()>& stopping, ReadSlice& page,
                                     std::chrono::milliseconds slice) {
  // Everything up to here has been read and none of it matched; reading
  // from here gives the same events as reading from `after`.
  Position seen = std::max(after, page.next_after);
  for (;;) {
    if (!page.events.empty()) return LogPollEnd::kEvents;
    // Rounded up: a wait that ends a fraction of a millisecond early goes on.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return LogPollEnd::kDeadline;
    if (stopping()) return LogPollEnd::kStopping;
    auto head = store.wait_for_matching_events(seen, std::min(left, slice), filter);
    if (!head.is_ok()) return head.status();
    if (*head <= seen) continue;
    auto next = store.read_all(seen, limit, filter);
    if (!next.is_ok()) return next.status();
    page = std::move(*next);
    seen = std::max(seen, page.next_after);
  }
}

}  // namespace herald::gateway
