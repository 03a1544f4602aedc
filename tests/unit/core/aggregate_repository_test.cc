// AggregateRepository: cached states are shared, never changed under a
// holder, and folded in place when the command is their last holder.
#include <gtest/gtest.h>

#include "core/aggregate_repository.h"
#include "herald/testing/fake_store.h"

namespace herald::gateway {
namespace {

using herald::testing::FakeEventStore;

class Tally final : public Aggregate {
 public:
  std::vector<CommandSpec> commands() const override { return {}; }
  Json initial_state() const override { return {{"count", 0}}; }
  Status apply(Json& state, const RecordedEvent&) const override {
    state["count"] = state["count"].get<int>() + 1;
    return Status::ok();
  }
  Decision decide(const AggregateState&, const Command&) const override {
    return Decision::unknown_command();
  }
};

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    type_.type = "Tally";
    type_.aggregate = std::make_shared<Tally>();
  }

  // Appends one event to t1 and returns it as recorded.
  std::vector<RecordedEvent> append_one() {
    AppendRequest r;
    r.stream = stream_;
    r.events.push_back(NewEvent{"id-" + std::to_string(++ids_), "Tallied", 1, Json::object(), {}});
    auto result = store_.append(r);
    EXPECT_TRUE(result.status.is_ok());
    return result.events;
  }

  FakeEventStore store_;
  AggregateType type_;
  StreamId stream_{"Tally", "t1"};
  int ids_ = 0;
};

TEST_F(RepositoryTest, AStateHeldByAReaderNeverChanges) {
  AggregateRepository repo(store_, 16);
  append_one();
  auto reader = repo.load(type_, stream_);  // e.g. GET /v1/aggregates
  ASSERT_TRUE(reader.is_ok());
  auto command = repo.load(type_, stream_);
  ASSERT_TRUE(command.is_ok());
  EXPECT_EQ(reader->get(), command->get());  // shared, not copied

  ASSERT_TRUE(repo.advance(type_, stream_, std::move(*command), append_one()).is_ok());
  EXPECT_EQ((*reader)->version, 0);
  EXPECT_EQ((*reader)->state["count"], 1);
  auto now = repo.load(type_, stream_);
  EXPECT_EQ((*now)->version, 1);
  EXPECT_EQ((*now)->state["count"], 2);
  EXPECT_NE(now->get(), reader->get());
}

TEST_F(RepositoryTest, TheLastHolderFoldsInPlace) {
  AggregateRepository repo(store_, 16);
  append_one();
  auto command = repo.load(type_, stream_);
  ASSERT_TRUE(command.is_ok());
  const AggregateState* address = command->get();
  ASSERT_TRUE(repo.advance(type_, stream_, std::move(*command), append_one()).is_ok());
  auto now = repo.load(type_, stream_);
  EXPECT_EQ(now->get(), address);
  EXPECT_EQ((*now)->version, 1);
  EXPECT_EQ((*now)->state["count"], 2);
}

// A cold load reads a long stream in pages, never in one read of it all.
TEST(RepositoryPaging, AColdLoadReadsALongStreamInPages) {
  struct CountingStore final : FakeEventStore {
    Result<ReadSlice> read_stream(const StreamId& stream, Version from,
                                  std::size_t limit) override {
      ++reads;
      largest = std::max(largest, limit);
      return FakeEventStore::read_stream(stream, from, limit);
    }
    int reads = 0;
    std::size_t largest = 0;
  } store;
  AggregateType type;
  type.type = "Tally";
  type.aggregate = std::make_shared<Tally>();
  const StreamId stream{"Tally", "t1"};
  AppendRequest r;
  r.stream = stream;
  for (int i = 0; i < 5000; ++i) {
    r.events.push_back(NewEvent{"id-" + std::to_string(i), "Tallied", 1, Json::object(), {}});
  }
  ASSERT_TRUE(store.append(r).status.is_ok());
  AggregateRepository repo(store, 16);
  auto loaded = repo.load(type, stream);
  ASSERT_TRUE(loaded.is_ok());
  EXPECT_EQ((*loaded)->version, 4999);
  EXPECT_EQ(store.largest, AggregateRepository::kPageSize);
  EXPECT_EQ(store.reads, 2);
}

// load_at: the state at a version, from a snapshot only when it is at or
// before that version, across pages, and without touching the cache.
TEST_F(RepositoryTest, AStateAtAVersionFoldsUpToItFromAnEarlierSnapshotOnly) {
  type_.snapshot_every = 1000;  // snapshots are read; this test saves its own
  AggregateRepository repo(store_, 16);
  for (int i = 0; i < 5000; ++i) append_one();
  // A snapshot at version 9 whose count no fold would give: whether a load
  // started from it shows.
  ASSERT_TRUE(store_
                  .save_snapshot(Snapshot{stream_, 9, type_.aggregate->state_format(),
                                          Json{{"count", 1000}}, 0})
                  .is_ok());

  auto before = repo.load_at(type_, stream_, 3);  // before the snapshot: from the start
  ASSERT_TRUE(before.is_ok()) << before.status().message();
  EXPECT_EQ(before->version, 3);
  EXPECT_EQ(before->state["count"], 4);
  auto at = repo.load_at(type_, stream_, 9);
  EXPECT_EQ(at->version, 9);
  EXPECT_EQ(at->state["count"], 1000);
  auto after = repo.load_at(type_, stream_, 4500);  // from the snapshot, over two pages
  EXPECT_EQ(after->version, 4500);
  EXPECT_EQ(after->state["count"], 1000 + 4491);
  auto beyond = repo.load_at(type_, stream_, 9000);  // the stream ends first
  EXPECT_EQ(beyond->version, 4999);

  auto current = repo.load(type_, stream_);  // not a past state from a cache
  EXPECT_EQ((*current)->version, 4999);
  EXPECT_EQ((*current)->state["count"], 1000 + 4990);
}

}  // namespace
}  // namespace herald::gateway
