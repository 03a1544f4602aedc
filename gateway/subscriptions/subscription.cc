#include "subscriptions/subscription.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace herald::gateway {

using namespace std::chrono_literals;

namespace {
// How often wait_for() asks the store again while the events it waits for
// are not yet durable and the subscription has nothing to apply (it is
// woken at once when the subscription moves).
constexpr auto kRecheckEvery = 10ms;
}  // namespace

EventFilter SubscriptionFilter::store_filter() const {
  EventFilter f;
  if (stream_types.empty()) f.event_types = event_types;
  else if (event_types.empty()) f.stream_types = stream_types;
  return f;
}

namespace {

bool renames_possible(const SubscriptionFilter& filter, const UpcasterChain& upcasters) {
  return !filter.event_types.empty() && !upcasters.empty();
}

EventFilter store_filter_for(const SubscriptionFilter& filter, const UpcasterChain& upcasters) {
  EventFilter f = filter.store_filter();
  // Types asked of the store (so filter.event_types is not empty either).
  if (!f.event_types.empty() && !upcasters.empty()) {
    for (const std::string& type : upcasters.event_types()) f.event_types.insert(type);
  }
  return f;
}

}  // namespace

const char* to_string(Subscription::State s) {
  switch (s) {
    case Subscription::State::kStarting: return "starting";
    case Subscription::State::kCatchingUp: return "catching_up";
    case Subscription::State::kLive: return "live";
    case Subscription::State::kRetrying: return "retrying";
    case Subscription::State::kFailed: return "failed";
    case Subscription::State::kStopped: return "stopped";
  }
  return "?";
}

Subscription::Subscription(EventStore& store, const UpcasterChain& upcasters, Options options,
                           std::shared_ptr<Projection> target)
    : store_(store),
      upcasters_(upcasters),
      options_(std::move(options)),
      target_(std::move(target)),
      store_filter_(store_filter_for(options_.filter, upcasters)),
      sleeps_through_others_(!store_filter_.empty()),
      store_filters_all_(!renames_possible(options_.filter, upcasters) &&
                         (!store_filter_.empty() || (options_.filter.stream_types.empty() &&
                                                     options_.filter.event_types.empty()))) {
  position_.store(options_.start_after);
}

Subscription::~Subscription() { stop(); }

void Subscription::start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    // Named for top -H and perf: "sub:<name>" (Linux keeps 15 bytes).
    ::pthread_setname_np(::pthread_self(), ("sub:" + options_.name).substr(0, 15).c_str());
    run();
  });
}

void Subscription::request_stop() {
  stopping_ = true;
  progressed_.notify_all();
}

void Subscription::stop() {
  request_stop();
  {
    std::lock_guard lock(join_mutex_);
    if (thread_.joinable()) thread_.join();
  }
  if (state() != State::kFailed) state_ = State::kStopped;
}

bool Subscription::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  progressed_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_;
}

void Subscription::set_position(Position p) {
  {
    std::lock_guard lock(mutex_);
    position_.store(p, std::memory_order_release);
  }
  progressed_.notify_all();
}

bool Subscription::wait_for(Position target, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24));
  std::unique_lock lock(mutex_);
  for (;;) {
    if (position() >= target) return true;
    if (state() == State::kFailed || stopping_.load() || waiters_released_.load()) return false;
    if (sleeps_through_others_) {
      lock.unlock();
      const bool through = applied_through(target);
      lock.lock();
      if (through) return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto step = deadline - now;
    if (sleeps_through_others_)
      step = std::min<std::chrono::steady_clock::duration>(step, kRecheckEvery);
    progressed_.wait_for(lock, step);
  }
}

bool Subscription::applied_through(Position target) const {
  return position() >= target || applied_position() >= target;
}

Position Subscription::applied_position() const {
  const Position pos = position();
  if (!sleeps_through_others_) return pos;
  // Nothing this subscription takes after its position, up to the head:
  // it has applied everything up to the head.
  auto slice = store_.read_all(pos, 1, store_filter_);
  if (!slice.is_ok() || !slice->events.empty()) return pos;
  return std::max(pos, slice->next_after);
}

void Subscription::release_waiters() {
  {
    std::lock_guard lock(mutex_);
    waiters_released_ = true;
  }
  progressed_.notify_all();
}

void Subscription::fail(std::string message, const RecordedEvent* event) {
  {
    std::lock_guard lock(mutex_);
    error_ = {{"message", message}};
    if (event) {
      error_["position"] = event->position;
      error_["event_id"] = event->id;
      error_["event_type"] = event->type;
      error_["stream"] = event->stream.key();
    }
    state_ = State::kFailed;
  }
  progressed_.notify_all();
  spdlog::error("subscription {} stopped at position {}: {}", options_.name,
                event ? event->position : position(), message);
}

bool Subscription::upcast(RecordedEvent& event) {
  Status s;
  try {
    s = upcasters_.upcast(event);
  } catch (const std::exception& e) {
    s = Status::failed(std::string("an upcaster threw: ") + e.what());
  }
  if (!s.is_ok()) fail(s.message(), &event);
  return s.is_ok();
}

bool Subscription::deliver(const RecordedEvent& event) {
  auto backoff = 50ms;
  for (;;) {
    Status s;
    try {
      s = target_->apply(event);
    } catch (const std::exception& e) {
      s = Status::failed(std::string("apply() threw: ") + e.what());
    }
    if (s.is_ok()) return true;
    if (s.code() != StatusCode::kRetry) {
      fail("cannot apply " + event.type + ": " + s.message(), &event);
      return false;
    }
    state_ = State::kRetrying;
    spdlog::warn("subscription {}: retrying position {} in {}ms: {}", options_.name, event.position,
                 backoff.count(), s.message());
    if (!sleep_for(backoff)) return false;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void Subscription::run() {
  // A store or plugin that throws stops this subscription, with the reason
  // in its status, rather than the process (an exception leaving a thread
  // is std::terminate).
  try {
    follow();
  } catch (const std::exception& e) {
    fail(std::string("stopped by an exception: ") + e.what(), nullptr);
  } catch (...) {
    fail("stopped by an exception that is not a std::exception", nullptr);
  }
}

void Subscription::follow() {
  const EventFilter& store_filter = store_filter_;
  // Live only once known to be at the head: when the store cannot say
  // where its head is, a read will. (A rebuild swaps its new model in when
  // it is live: an empty one, had a failed head() made it live at 0.)
  auto head = store_.head();
  state_ = head.is_ok() && position() >= *head ? State::kLive : State::kCatchingUp;
  if (state() == State::kCatchingUp && head.is_ok()) {
    spdlog::info("subscription {}: catching up from position {} to {}", options_.name, position(),
                 *head);
  }
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t applied = 0, next_progress = options_.progress_every;
  auto backoff = 50ms;

  while (!stopping_) {
    auto slice = store_.read_all(position(), options_.batch_size, store_filter);
    if (!slice.is_ok()) {
      state_ = State::kRetrying;
      spdlog::warn("subscription {}: store read failed, retrying in {}ms: {}", options_.name,
                   backoff.count(), slice.status().message());
      if (!sleep_for(backoff)) break;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = 50ms;
    head_seen_.store(slice->head, std::memory_order_relaxed);
    for (auto& event : slice->events) {
      if (!upcast(event)) return;
      if (!store_filters_all_ && !options_.filter.matches(event)) continue;
      if (!deliver(event)) return;
      ++applied;
      // Publish progress per event so read-your-writes waiters wake early.
      set_position(event.position);
    }
    if (slice->next_after > position()) set_position(slice->next_after);
    if (state() == State::kCatchingUp && applied >= next_progress) {
      next_progress += options_.progress_every;
      spdlog::info("subscription {}: {} events applied, at position {} of {}", options_.name,
                   applied, position(), slice->head);
    }
    if (position() >= slice->head) {
      if (state() != State::kLive) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
        if (state() == State::kCatchingUp) {
          spdlog::info("subscription {}: caught up at position {} ({} events in {} ms)",
                       options_.name, position(), applied, ms);
        }
        state_ = State::kLive;
        progressed_.notify_all();
      }
      // Woken for the events it takes only, when the store can tell.
      auto waited = sleeps_through_others_ ? store_.wait_for_matching_events(
                                                 position(), options_.idle_wait, store_filter)
                                           : store_.wait_for_events(position(), options_.idle_wait);
      if (waited.is_ok()) head_seen_.store(std::max(*waited, position()), std::memory_order_relaxed);
    }
  }
}

Json Subscription::status() const {
  const Position pos = applied_position();
  Position head = head_seen_.load(std::memory_order_relaxed);
  if (auto h = store_.head(); h.is_ok()) head = *h;
  Json j = {{"name", options_.name},
            {"state", to_string(state())},
            {"position", pos},
            {"head", head},
            {"lag", head > pos ? head - pos : 0}};
  std::lock_guard lock(mutex_);
  if (!error_.is_null()) j["error"] = error_;
  return j;
}

}  // namespace herald::gateway
