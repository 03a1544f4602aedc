// A subscription reads the global log from its own position, in order, and
// hands each matching event to one target (a projection, later a transport
// sink), at least once.
//
// Threads: each Subscription owns one thread (start()/stop() on the main
// thread or an admin HTTP thread). status() and wait_for() are called from
// HTTP threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/upcasting.h"
#include "herald/projection.h"
#include "herald/store.h"

namespace herald::gateway {

// Which events a subscription takes: from any of the stream types OR any of
// the event types (the `from:` list of a projection). Empty: everything.
struct SubscriptionFilter {
  std::set<std::string> stream_types;
  std::set<std::string> event_types;

  bool matches(const RecordedEvent& e) const {
    if (stream_types.empty() && event_types.empty()) return true;
    return stream_types.count(e.stream.type) > 0 || event_types.count(e.type) > 0;
  }
  // The store-side filter that serves this one from an index; empty when
  // both sets are set (an OR the store filter cannot say).
  EventFilter store_filter() const;
};

class Subscription {
 public:
  enum class State { kStarting, kCatchingUp, kLive, kRetrying, kFailed, kStopped };

  struct Options {
    std::string name;
    SubscriptionFilter filter;
    Position start_after = 0;
    std::size_t batch_size = 512;
    // Log a progress line every this many events while catching up.
    std::uint64_t progress_every = 100000;
    // The longest a live subscription sleeps before it looks at stopping
    // again (the longest stop() may take) and, when it takes only some
    // types, moves its position past the events of other types.
    std::chrono::milliseconds idle_wait{100};
  };

  Subscription(EventStore& store, const UpcasterChain& upcasters, Options options,
               std::shared_ptr<Projection> target);
  ~Subscription();

  void start();
  // Stops and joins. Idempotent, and safe to call from two threads at once.
  void stop();
  // Asks the thread to stop without waiting for it (it notices within the
  // 100 ms it may be waiting for new events); stop() then joins it. Lets a
  // caller with many subscriptions wait for all of them at once.
  void request_stop();

  // The position up to which every event has been handled (matching ones
  // applied, others skipped). Any thread. A subscription that takes only
  // some types sleeps through the appends of others (the store wakes it for
  // its own, EventStore::wait_for_matching_events) and moves past them when
  // it next wakes, at the latest after idle_wait: its position may stay
  // behind the head while there is nothing for it to apply. wait_for() and
  // status() know that.
  Position position() const { return position_.load(std::memory_order_acquire); }
  State state() const { return state_.load(std::memory_order_acquire); }
  // True once the subscription has read up to the head it last saw.
  bool caught_up() const { return state() == State::kLive; }

  // Blocks until every event this subscription takes, up to `target`, has
  // been applied (position() >= target, or none lies between position() and
  // a durable target), or the timeout passes, or the subscription failed,
  // stops or released its waiters. Returns whether it was applied.
  bool wait_for(Position target, std::chrono::milliseconds timeout) const;
  // Whether everything this subscription takes up to `target` is applied,
  // without waiting; may ask the store. Any thread.
  bool applied_through(Position target) const;
  // Ends every wait_for(), now and later, at once, while the subscription
  // goes on: a shutting-down gateway answers its read-your-writes queries
  // instead of holding its stop for their whole timeout. Any thread.
  void release_waiters();

  // {name, state, position, head, lag, error?}
  Json status() const;
  const std::string& name() const { return options_.name; }
  std::shared_ptr<Projection> target() const { return target_; }

 private:
  void run();
  void follow();  // run() without its catch
  // Upcasts one event; false (and failed) when the subscription must stop.
  bool upcast(RecordedEvent& event);
  // Applies one event with retries; false when the subscription must stop.
  bool deliver(const RecordedEvent& event);
  void set_position(Position p);
  // position(), or past it when the store holds nothing this subscription
  // takes between position() and the head.
  Position applied_position() const;
  void fail(std::string message, const RecordedEvent* event);
  bool sleep_for(std::chrono::milliseconds d);

  EventStore& store_;
  const UpcasterChain& upcasters_;
  Options options_;
  std::shared_ptr<Projection> target_;
  // The filter as the store serves it; empty when the store cannot (the
  // subscription then reads and wakes for everything, and filters itself).
  // With upcasters and event types, it also takes the types upcasters take,
  // and the subscription matches the types after upcasting: an upcaster may
  // rename an old type to one the subscription takes.
  const EventFilter store_filter_;
  const bool sleeps_through_others_;
  // Whether the store filter is the subscription's filter, exactly.
  const bool store_filters_all_;

  std::atomic<Position> position_{0};
  std::atomic<Position> head_seen_{0};
  std::atomic<State> state_{State::kStarting};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> waiters_released_{false};
  mutable std::mutex mutex_;  // error_, and the condition variable below
  mutable std::condition_variable progressed_;
  Json error_;
  std::mutex join_mutex_;  // stop() from two threads (a rebuild's swap, the gateway's stop)
  std::thread thread_;
};

const char* to_string(Subscription::State s);

}  // namespace herald::gateway
