// The configured projections: each one's live read model and its
// subscription, and live rebuilds (a fresh model built from position 0
// beside the live one, swapped in atomically once it has caught up).
//
// Threads: add()/start()/stop() on the main thread; find(), rebuild() and
// status() from HTTP threads. Each rebuild has a watcher thread that does
// the swap.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "subscriptions/subscription.h"

namespace herald::gateway {

class ProjectionRegistry {
 public:
  using Factory = std::function<std::shared_ptr<Projection>()>;

  ProjectionRegistry(EventStore& store, const UpcasterChain& upcasters);
  ~ProjectionRegistry();

  // Start-up: `first` is the live model to begin with; `factory` makes the
  // fresh ones for rebuilds.
  void add(const std::string& name, SubscriptionFilter filter, Factory factory,
           std::shared_ptr<Projection> first);
  void start();
  void stop();
  // Shutdown has begun: every read-your-writes wait ends now, and any later
  // one at once (Subscription::release_waiters); the models go on applying
  // events until stop(). Any thread.
  void release_waiters();
  bool waiters_released() const { return waiters_released_; }

  // The live model and its subscription (for read-your-writes), or nullopt.
  struct Live {
    std::shared_ptr<Projection> projection;
    std::shared_ptr<Subscription> subscription;
  };
  std::optional<Live> find(const std::string& name) const;

  enum class RebuildStart { kStarted, kAlreadyRunning, kUnknown };
  RebuildStart rebuild(const std::string& name);

  // Every subscription: [{name, state, position, head, lag, rebuild?: {...}}]
  Json status() const;
  Json status(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  struct Entry {
    std::string name;
    SubscriptionFilter filter;
    Factory factory;
    std::shared_ptr<Projection> projection;
    std::shared_ptr<Subscription> subscription;
    std::shared_ptr<Subscription> rebuilding;  // null when no rebuild runs
    std::shared_ptr<Projection> rebuilt;
    std::thread watcher;
    std::uint64_t rebuilds = 0;
  };
  std::shared_ptr<Subscription> make_subscription(const Entry& e, std::shared_ptr<Projection> p,
                                                  bool rebuild) const;
  void watch(Entry* entry);
  Json entry_status(const Entry& e) const;

  EventStore& store_;
  const UpcasterChain& upcasters_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> waiters_released_{false};
};

}  // namespace herald::gateway
