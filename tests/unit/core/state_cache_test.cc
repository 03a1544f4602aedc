#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <optional>
#include <random>

#include "core/state_cache.h"

namespace herald::gateway {
namespace {

StateCache::StatePtr state(Version version, Json value) {
  return std::make_shared<const AggregateState>(AggregateState{version, std::move(value)});
}

TEST(StateCache, EvictsTheLeastRecentlyUsed) {
  StateCache cache(2);
  cache.put("a", state(0, 1));
  cache.put("b", state(0, 2));
  ASSERT_TRUE(cache.get("a"));  // a is now the most recent
  cache.put("c", state(0, 3));
  EXPECT_TRUE(cache.get("a"));
  EXPECT_FALSE(cache.get("b"));
  EXPECT_TRUE(cache.get("c"));
  EXPECT_EQ(cache.size(), 2u);
}

// A plain model of an exact LRU: keys most recent first, each with its
// version (-2: released).
class LruModel {
 public:
  explicit LruModel(std::size_t capacity) : capacity_(capacity) {}
  std::optional<Version> get(const std::string& key) {
    auto it = find(key);
    if (it == order_.end() || it->second == -2) return std::nullopt;
    order_.splice(order_.begin(), order_, it);
    return order_.front().second;
  }
  void put(const std::string& key, Version v) {
    auto it = find(key);
    if (it != order_.end()) {
      if (it->second != -2 && it->second > v) return;
      it->second = v;
      order_.splice(order_.begin(), order_, it);
      return;
    }
    order_.emplace_front(key, v);
    if (order_.size() > capacity_) order_.pop_back();
  }
  void evict(const std::string& key) {
    if (auto it = find(key); it != order_.end()) order_.erase(it);
  }
  void release(const std::string& key) {
    if (auto it = find(key); it != order_.end()) it->second = -2;
  }
  std::size_t size() const {
    return static_cast<std::size_t>(
        std::count_if(order_.begin(), order_.end(), [](const auto& e) { return e.second != -2; }));
  }

 private:
  std::list<std::pair<std::string, Version>>::iterator find(const std::string& key) {
    return std::find_if(order_.begin(), order_.end(),
                        [&](const auto& e) { return e.first == key; });
  }
  std::size_t capacity_;
  std::list<std::pair<std::string, Version>> order_;
};

// Any mix of gets, puts, releases and evictions keeps exactly what an LRU of
// the same capacity keeps, in the same order.
TEST(StateCache, AgreesWithAPlainLruThroughEveryOperation) {
  for (std::size_t capacity : {1, 2, 5, 17}) {
    StateCache cache(capacity);
    LruModel model(capacity);
    std::mt19937 rng(static_cast<unsigned>(capacity));
    for (int i = 0; i < 20000; ++i) {
      const std::string key = "k" + std::to_string(rng() % (capacity * 2 + 3));
      switch (rng() % 8) {
        case 0:
          cache.evict(key);
          model.evict(key);
          break;
        case 1:
          cache.release(key);
          model.release(key);
          break;
        case 2:
        case 3: {
          const auto v = static_cast<Version>(rng() % 50);
          cache.put(key, state(v, Json::object()));
          model.put(key, v);
          break;
        }
        default: {
          auto got = cache.get(key);
          auto expected = model.get(key);
          ASSERT_EQ(got != nullptr, expected.has_value()) << key << " at step " << i;
          if (got) {
            ASSERT_EQ(got->version, *expected) << key << " at step " << i;
          }
        }
      }
      ASSERT_EQ(cache.size(), model.size()) << "at step " << i;
    }
  }
}

TEST(StateCache, NeverGoesBackToAnOlderVersion) {
  StateCache cache(4);
  cache.put("a", state(5, "new"));
  cache.put("a", state(3, "old"));
  EXPECT_EQ(cache.get("a")->version, 5);
  cache.evict("a");
  EXPECT_FALSE(cache.get("a"));
}

TEST(StateCache, AReleasedEntryLetsGoOfItsStateAndMissesUntilPutAgain) {
  StateCache cache(4);
  auto held = state(1, "one");
  cache.put("a", held);
  cache.put("b", state(0, "b"));
  cache.release("a");
  EXPECT_EQ(held.use_count(), 1);  // the cache's reference is gone
  EXPECT_FALSE(cache.get("a"));
  EXPECT_EQ(cache.size(), 1u);
  cache.put("a", state(2, "two"));
  ASSERT_TRUE(cache.get("a"));
  EXPECT_EQ(cache.get("a")->version, 2);
  EXPECT_EQ(cache.size(), 2u);
  cache.release("missing");  // nothing to release: no entry is made
  EXPECT_FALSE(cache.get("missing"));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(StateCache, ALargeCacheIsShardedAndKeepsItsCapacity) {
  constexpr std::size_t kCapacity = 2048;
  StateCache cache(kCapacity);
  for (std::size_t i = 0; i < 10 * kCapacity; ++i) {
    cache.put("User/u" + std::to_string(i), state(static_cast<Version>(i), Json::object()));
  }
  // Every shard is full: the total is at most the capacity (rounded up per
  // shard) and at least most of it.
  EXPECT_LE(cache.size(), kCapacity + StateCache::kShards);
  EXPECT_GE(cache.size(), kCapacity * 9 / 10);
  // The most recent entries are held; the first ones are gone.
  EXPECT_TRUE(cache.get("User/u" + std::to_string(10 * kCapacity - 1)));
  EXPECT_FALSE(cache.get("User/u0"));
}

TEST(StateCache, HandsOutTheHeldStateWithoutCopying) {
  StateCache cache(4);
  auto held = state(2, Json{{"name", "Alice"}});
  cache.put("a", held);
  EXPECT_EQ(cache.get("a").get(), held.get());
}

TEST(StateCache, ZeroCapacityCachesNothing) {
  StateCache cache(0);
  cache.put("a", state(0, 1));
  EXPECT_FALSE(cache.get("a"));
}

}  // namespace
}  // namespace herald::gateway
