#include <gtest/gtest.h>

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
