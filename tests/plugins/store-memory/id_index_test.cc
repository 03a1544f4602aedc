// IdIndex against a std::unordered_map doing the same inserts and erases.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "id_index.h"

namespace herald::plugins::memory {
namespace {

TEST(MemoryStoreIdIndexTest, BehavesLikeAMapThroughGrowthAndErases) {
  std::vector<std::string> ids;  // ids[p - 1] is the id at position p
  IdIndex index;
  std::unordered_map<std::string, Position> reference;
  auto id_at = [&](Position p) -> std::string_view { return ids[p - 1]; };
  std::mt19937 rng(42);

  for (Position p = 1; p <= 20000; ++p) {
    ids.push_back("id-" + std::to_string(rng() % 15000));  // some repeat
    const Position held = index.insert(ids.back(), p, id_at);
    auto [it, inserted] = reference.try_emplace(ids.back(), p);
    ASSERT_EQ(held, inserted ? 0 : it->second) << p;
    // Now and then a claim is given back, as a refused append does.
    if (inserted && rng() % 5 == 0) {
      index.erase(ids.back(), p);
      reference.erase(it);
    }
  }
  EXPECT_EQ(index.size(), reference.size());
  for (const auto& [id, p] : reference) ASSERT_EQ(index.find(id, id_at), p) << id;
  EXPECT_EQ(index.find("absent", id_at), 0u);
  // Erasing with the wrong position leaves the entry alone.
  const auto& [some_id, some_p] = *reference.begin();
  index.erase(some_id, some_p + 1);
  EXPECT_EQ(index.find(some_id, id_at), some_p);
}

TEST(MemoryStoreIdIndexTest, ReserveKeepsEverythingFindable) {
  std::vector<std::string> ids;
  auto id_at = [&](Position p) -> std::string_view { return ids[p - 1]; };
  IdIndex index;
  for (Position p = 1; p <= 100; ++p) {
    ids.push_back("e" + std::to_string(p));
    ASSERT_EQ(index.insert(ids.back(), p, id_at), 0u);
  }
  index.reserve(100000);
  for (Position p = 1; p <= 100; ++p) ASSERT_EQ(index.find(ids[p - 1], id_at), p);
}

}  // namespace
}  // namespace herald::plugins::memory
