#include "subscriptions/projection_registry.h"

#include <spdlog/spdlog.h>

namespace herald::gateway {

using namespace std::chrono_literals;

ProjectionRegistry::ProjectionRegistry(EventStore& store, const UpcasterChain& upcasters)
    : store_(store), upcasters_(upcasters) {}

ProjectionRegistry::~ProjectionRegistry() { stop(); }

std::shared_ptr<Subscription> ProjectionRegistry::make_subscription(const Entry& e,
                                                                    std::shared_ptr<Projection> p,
                                                                    bool rebuild) const {
  Subscription::Options o;
  o.name = rebuild ? e.name + " (rebuild)" : e.name;
  o.filter = e.filter;
  // A model that keeps its own data resumes where it is; an in-memory one is
  // rebuilt from the log at start.
  o.start_after = p->persistent() ? p->position() : 0;
  auto sub = std::make_shared<Subscription>(store_, upcasters_, std::move(o), std::move(p));
  if (waiters_released_) sub->release_waiters();
  return sub;
}

void ProjectionRegistry::add(const std::string& name, SubscriptionFilter filter, Factory factory,
                             std::shared_ptr<Projection> first) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->filter = std::move(filter);
  e->factory = std::move(factory);
  e->projection = std::move(first);
  e->subscription = make_subscription(*e, e->projection, false);
  std::lock_guard lock(mutex_);
  entries_.emplace(name, std::move(e));
}

void ProjectionRegistry::start() {
  std::lock_guard lock(mutex_);
  for (auto& [name, e] : entries_) e->subscription->start();
}

void ProjectionRegistry::stop() {
  std::vector<std::shared_ptr<Subscription>> subs;
  std::vector<std::thread> watchers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [name, e] : entries_) {
      if (e->subscription) subs.push_back(e->subscription);
      if (e->rebuilding) subs.push_back(e->rebuilding);
      if (e->watcher.joinable()) watchers.push_back(std::move(e->watcher));
    }
  }
  // All at once: each may take up to 100 ms to notice.
  for (auto& s : subs) s->request_stop();
  for (auto& s : subs) s->stop();
  for (auto& w : watchers) w.join();
}

void ProjectionRegistry::release_waiters() {
  std::lock_guard lock(mutex_);
  waiters_released_ = true;
  for (auto& [name, e] : entries_) {
    if (e->subscription) e->subscription->release_waiters();
    if (e->rebuilding) e->rebuilding->release_waiters();
  }
}

std::optional<ProjectionRegistry::Live> ProjectionRegistry::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return Live{it->second->projection, it->second->subscription};
}

std::vector<std::string> ProjectionRegistry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

ProjectionRegistry::RebuildStart ProjectionRegistry::rebuild(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return RebuildStart::kUnknown;
  Entry& e = *it->second;
  if (e.rebuilding) return RebuildStart::kAlreadyRunning;
  if (e.watcher.joinable()) e.watcher.join();  // the previous rebuild's, already done
  e.rebuilt = e.factory();
  e.rebuilding = make_subscription(e, e.rebuilt, true);
  e.rebuilding->start();
  ++e.rebuilds;
  spdlog::info("projection {}: rebuild #{} started from position 0", name, e.rebuilds);
  e.watcher = std::thread([this, entry = &e] { watch(entry); });
  return RebuildStart::kStarted;
}

void ProjectionRegistry::watch(Entry* e) {
  std::shared_ptr<Subscription> fresh;
  {
    std::lock_guard lock(mutex_);
    fresh = e->rebuilding;
  }
  // Caught up = live at the head it saw; then the swap is one pointer move
  // under the lock, so a query sees either the old model or the new one.
  while (!stopping_ && !fresh->caught_up() && fresh->state() != Subscription::State::kFailed) {
    std::this_thread::sleep_for(20ms);
  }
  std::shared_ptr<Subscription> old;
  {
    std::lock_guard lock(mutex_);
    // Under the lock: stop() takes the subscriptions to stop under it too,
    // so a swap never hands it one that was just replaced.
    if (stopping_) return;
    if (fresh->state() == Subscription::State::kFailed) {
      spdlog::error("projection {}: rebuild failed; the live model stays", e->name);
      old = std::move(e->rebuilding);
      e->rebuilt.reset();
    } else {
      old = std::move(e->subscription);
      e->subscription = std::move(e->rebuilding);
      e->projection = std::move(e->rebuilt);
      spdlog::info("projection {}: rebuilt model caught up at position {} and is now live",
                   e->name, e->subscription->position());
    }
  }
  old->stop();
}

Json ProjectionRegistry::entry_status(const Entry& e) const {
  Json j = e.subscription->status();
  j["name"] = e.name;
  j["kind"] = "projection";
  j["rebuilds"] = e.rebuilds;
  if (e.rebuilding) {
    Json r = e.rebuilding->status();
    r["progress"] = r["head"].get<Position>() == 0
                        ? 1.0
                        : static_cast<double>(r["position"].get<Position>()) / r["head"].get<Position>();
    j["rebuild"] = std::move(r);
  }
  return j;
}

Json ProjectionRegistry::status() const {
  std::lock_guard lock(mutex_);
  Json out = Json::array();
  for (const auto& [name, e] : entries_) out.push_back(entry_status(*e));
  return out;
}

Json ProjectionRegistry::status(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  return it == entries_.end() ? Json() : entry_status(*it->second);
}

}  // namespace herald::gateway
