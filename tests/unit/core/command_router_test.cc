// The command router against the SDK's FakeEventStore: status codes, retries
// on conflict, idempotency, snapshots and metadata.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/command_router.h"
#include "core/upcasting.h"
#include "herald/json_text.h"
#include "herald/testing/fake_store.h"

namespace herald::gateway {
namespace {

using herald::testing::FakeEventStore;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using Kind = CommandOutcome::Kind;

TEST(ValidIdentifier, PrintableUtf8WithoutUrlDelimiters) {
  const std::vector<std::string> good = {"u1",     "bench-u42",  "a.b_c~d:e@f",        "\u00e9mile",
                                         "\u20ac", "\U0001F600", std::string(256, 'x')};
  for (const std::string& id : good) {
    EXPECT_TRUE(valid_identifier(id)) << id;
  }
  const std::vector<std::string> bad = {
      "",
      std::string(257, 'x'),
      "a b",
      "a/b",
      "a?b",
      "a#b",
      "a%b",
      std::string("a\0b", 3),
      "a\x7f",
      "\xff",              // not UTF-8 at all
      "\xc3",              // a sequence cut short
      "\xc3(",             // a lead byte without its continuation
      "\xc0\xaf",          // overlong '/'
      "\xe0\x80\xaf",      // overlong '/'
      "\xed\xa0\x80",      // a UTF-16 surrogate
      "\xf4\x90\x80\x80",  // past U+10FFFF
      "\xc2\x85",          // U+0085, a C1 control
  };
  for (const std::string& id : bad)
    EXPECT_FALSE(valid_identifier(id)) << ::testing::PrintToString(id);
}

RecordedEvent recorded(std::string id, std::string type, Version version, Position position) {
  RecordedEvent e;
  e.id = std::move(id);
  e.type = std::move(type);
  e.version = version;
  e.position = position;
  return e;
}

// The HTTP API writes a success as text; it must be the document body() is,
// byte for byte, whatever the names hold.
TEST(CommandSuccess, AppendBodyWritesWhatBodyDumps) {
  const std::vector<CommandSuccess> cases = {
      {{"User", "u1"}, 0, {recorded("e1", "UserCreated", 0, 1)}, "corr-1"},
      {{"User", "u1"}, kNoVersion, {}, ""},  // an idempotent retry of nothing
      {{"User", "u1"}, 7, {}, "c"},          // a command that decided no events
      {{"Order", "o-9"},
       3,
       {recorded("a", "ItemAdded", 2, 41), recorded("b", "ItemAdded", 3, 42)},
       ""},
      {{"T\u00e9\"q", "\u00e9mile\U0001F600"},
       1,
       {recorded("id\"\\\n\x01", "Ty\u20acpe", 1, 18446744073709551615ull)},
       "c\"orr\t"},
      {{"User", "bad\xff utf8"}, 0, {recorded("e", "E\xc3", 0, 0)}, "\xed\xa0\x80"},
  };
  for (const CommandSuccess& success : cases) {
    std::string expected;
    append_json(expected, success.body(), Json::error_handler_t::replace);
    std::string text = "prefix:";
    success.append_body(text);
    EXPECT_EQ(text, "prefix:" + expected);
    EXPECT_EQ(Json::parse(text.substr(7)), Json::parse(expected));
  }
}

// A counter: Increment {by} → Incremented {by}; Burst {n} → n events;
// Explode → an event its apply() refuses.
class Counter final : public Aggregate {
 public:
  std::vector<CommandSpec> commands() const override {
    return {{"Increment", "", nullptr}, {"Burst", "", nullptr}, {"Explode", "", nullptr},
            {"Noop", "", nullptr}, {"Reject", "", nullptr}};
  }
  Json initial_state() const override { return {{"count", 0}}; }
  int state_format() const override { return format; }
  Status apply(Json& state, const RecordedEvent& e) const override {
    if (e.type == "Incremented") {
      state["count"] = state["count"].get<int>() + e.data.value("by", 1);
      return Status::ok();
    }
    return Status::failed("cannot fold " + e.type);
  }
  Decision decide(const AggregateState& s, const Command& c) const override {
    if (c.type == "Increment") return Decision::accept({{"Incremented", {{"by", c.data.value("by", 1)}}}});
    if (c.type == "Burst") {
      std::vector<DecidedEvent> ev(c.data.value("n", 2), DecidedEvent{"Incremented", {{"by", 1}}});
      return Decision::accept(ev);
    }
    if (c.type == "Explode") return Decision::accept({{"Exploded", Json::object()}});
    if (c.type == "Reject") return Decision::reject({"first rule", "second rule"});
    if (c.type == "Noop") return Decision::accept({});
    return Decision::unknown_command();
  }
  int format = 1;
};

// The SDK's fake, whose next append can be made to answer kRetry although
// its events were stored: the memory store's "did not reach the disk within
// sync_timeout_ms; the write may still complete" when the write did.
class LateStore final : public FakeEventStore {
 public:
  AppendResult append(const AppendRequest& r) override {
    AppendResult result = FakeEventStore::append(r);
    if (result.status.is_ok() && late_next_.exchange(false)) {
      result = AppendResult{};
      result.status = Status::retry(
          "the event log did not reach the disk within 10 ms; the "
          "write may still complete");
    }
    return result;
  }
  void make_next_append_late() { late_next_ = true; }

 private:
  std::atomic<bool> late_next_{false};
};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override { make_router(); }

  void make_router(std::int64_t snapshot_every = 0) {
    LimitsConfig limits;
    limits.max_events_per_command = 10;
    limits.conflict_retries = 50;
    router_ = std::make_unique<CommandRouter>(store_, limits);
    AggregateType type;
    type.type = "Counter";
    type.aggregate = counter_;
    type.snapshot_every = snapshot_every;
    for (auto& spec : counter_->commands()) {
      CommandEntry entry{spec, {}};
      if (spec.type == "Increment") {
        entry.validate = [](const Json& d) {
          std::vector<std::string> errors;
          if (d.contains("by") && !d["by"].is_number_integer()) errors.push_back("/by: must be an integer");
          return errors;
        };
      }
      type.commands.emplace(spec.type, entry);
    }
    router_->add(std::move(type));
  }

  CommandOutcome run(const std::string& type, Json data = Json::object(), const std::string& id = "c1",
                     std::optional<Version> expected = std::nullopt, const std::string& key = "") {
    CommandRequest r;
    r.aggregate_type = "Counter";
    r.aggregate_id = id;
    r.type = type;
    r.data = std::move(data);
    r.expected_version = expected;
    r.idempotency_key = key;
    return router_->dispatch(r);
  }

  LateStore store_;
  std::shared_ptr<Counter> counter_ = std::make_shared<Counter>();
  std::unique_ptr<CommandRouter> router_;
};

TEST_F(RouterTest, AcceptedCommandAppendsAndAnswers) {
  auto out = run("Increment", {{"by", 2}});
  ASSERT_EQ(out.kind, Kind::kOk) << out.body.dump();
  EXPECT_EQ(out.body["version"], 0);
  EXPECT_EQ(out.body["position"], 1);
  EXPECT_EQ(out.body["events"][0]["type"], "Incremented");
  EXPECT_EQ(router_->get_state("Counter", "c1").body["state"]["count"], 2);
}

TEST_F(RouterTest, ExecuteAnswersWhatDispatchAnswers) {
  auto request = [](const std::string& type, const std::string& id, const std::string& key) {
    CommandRequest r;
    r.aggregate_type = "Counter";
    r.aggregate_id = id;
    r.type = type;
    r.data = {{"by", 3}};
    r.metadata.correlation_id = "corr-x";
    r.idempotency_key = key;
    return r;
  };
  auto result = router_->execute(request("Increment", "c1", "k1"));
  ASSERT_TRUE(std::holds_alternative<CommandSuccess>(result));
  const auto& first = std::get<CommandSuccess>(result);
  EXPECT_EQ(first.stream.key(), "Counter/c1");
  EXPECT_EQ(first.version, 0);
  ASSERT_EQ(first.events.size(), 1u);
  EXPECT_EQ(first.events[0].data, Json({{"by", 3}}));  // the data moved in, intact
  EXPECT_EQ(first.correlation_id, "corr-x");
  EXPECT_EQ(router_->get_state("Counter", "c1").body["state"]["count"], 3);

  // The retry with the key answers the first events, through either door.
  auto replay = router_->execute(request("Increment", "c1", "k1"));
  ASSERT_TRUE(std::holds_alternative<CommandSuccess>(replay));
  EXPECT_EQ(std::get<CommandSuccess>(replay).body(), first.body());
  EXPECT_EQ(router_->dispatch(request("Increment", "c1", "k1")).body, first.body());
  EXPECT_EQ(store_.append_calls(), 1u);

  // The key for other data is refused; refusals are the same outcomes.
  CommandRequest other = request("Increment", "c1", "k1");
  other.data = {{"by", 4}};
  auto reused = router_->execute(CommandRequest(other));
  ASSERT_TRUE(std::holds_alternative<CommandOutcome>(reused));
  EXPECT_EQ(std::get<CommandOutcome>(reused).kind, Kind::kRejected);
  EXPECT_EQ(std::get<CommandOutcome>(reused).body, router_->dispatch(other).body);
  auto unknown = router_->execute(request("Decrement", "c1", ""));
  ASSERT_TRUE(std::holds_alternative<CommandOutcome>(unknown));
  EXPECT_EQ(std::get<CommandOutcome>(unknown).kind, Kind::kNotFound);
}

TEST_F(RouterTest, UnknownTypeAndCommandAre404WithHints) {
  CommandRequest r;
  r.aggregate_type = "Countr";
  r.type = "Increment";
  auto out = router_->dispatch(r);
  EXPECT_EQ(out.kind, Kind::kNotFound);
  EXPECT_NE(out.body["detail"].get<std::string>().find("did you mean 'Counter'"), std::string::npos);
  auto cmd = run("Incremnt");
  EXPECT_EQ(cmd.kind, Kind::kNotFound);
  EXPECT_NE(cmd.body["detail"].get<std::string>().find("Increment"), std::string::npos);
}

TEST_F(RouterTest, ValidationAndRejectionAre422WithEveryError) {
  auto invalid = run("Increment", {{"by", "two"}});
  EXPECT_EQ(invalid.kind, Kind::kRejected);
  EXPECT_EQ(invalid.body["errors"].size(), 1u);
  auto rejected = run("Reject");
  EXPECT_EQ(rejected.kind, Kind::kRejected);
  EXPECT_EQ(rejected.body["errors"], Json::array({"first rule", "second rule"}));
  EXPECT_EQ(store_.append_calls(), 0u);
}

TEST_F(RouterTest, TooManyEventsIs413AndAppendsNothing) {
  auto out = run("Burst", {{"n", 11}});
  EXPECT_EQ(out.kind, Kind::kTooLarge);
  EXPECT_EQ(store_.append_calls(), 0u);
  EXPECT_EQ(run("Burst", {{"n", 10}}).kind, Kind::kOk);
}

TEST_F(RouterTest, StoreUnavailableIs503AndStoreErrorIs500) {
  store_.fail_next(Status::retry("connection refused"));
  EXPECT_EQ(run("Increment").kind, Kind::kUnavailable);
  store_.fail_next(Status::failed("disk on fire"));
  EXPECT_EQ(run("Increment").kind, Kind::kInternal);
  EXPECT_EQ(run("Increment").kind, Kind::kOk);
}

// An append that answered kRetry may still have been written: the state
// the router keeps for the stream must not stay at the version before it,
// or the next commands' rejections and GET /v1/aggregates answer from it.
TEST_F(RouterTest, AnAppendThatMayStillCompleteLeavesNoStaleState) {
  ASSERT_EQ(run("Increment").kind, Kind::kOk);
  ASSERT_EQ(router_->get_state("Counter", "c1").body["version"], 0);  // cached
  store_.make_next_append_late();
  EXPECT_EQ(run("Increment", {{"by", 5}}).kind, Kind::kUnavailable);
  auto state = router_->get_state("Counter", "c1").body;
  EXPECT_EQ(state["version"], 1) << state.dump();
  EXPECT_EQ(state["state"]["count"], 6) << state.dump();
  auto next = run("Increment");
  ASSERT_EQ(next.kind, Kind::kOk) << next.body.dump();
  EXPECT_EQ(next.body["version"], 2);
}

// A cold load upcasts the events it reads; the state cached after a command
// folded the new events as written. With an aggregate that still writes a
// version an upcaster upgrades, the two disagreed until the entry left the
// cache.
TEST(RouterUpcasting, TheCachedStateFoldsNewEventsAsAColdLoadDoes) {
  FakeEventStore store;
  UpcasterChain upcasters;
  // Incremented v1 -> v2: "by" becomes 10, whatever it was.
  upcasters.add(std::make_shared<DeclarativeUpcaster>(
      "Incremented", 1, 2, std::map<std::string, std::string>{}, Json{{"by", 10}},
      std::vector<std::string>{"by"}, ""));
  auto counter = std::make_shared<Counter>();
  auto make_router = [&] {
    auto router = std::make_unique<CommandRouter>(store, LimitsConfig{}, &upcasters);
    AggregateType type;
    type.type = "Counter";
    type.aggregate = counter;
    for (auto& spec : counter->commands()) type.commands.emplace(spec.type, CommandEntry{spec, {}});
    router->add(std::move(type));
    return router;
  };
  auto router = make_router();
  CommandRequest r;
  r.aggregate_type = "Counter";
  r.aggregate_id = "c1";
  r.type = "Increment";
  r.data = {{"by", 2}};
  ASSERT_EQ(router->dispatch(r).kind, Kind::kOk);
  const Json cached = router->get_state("Counter", "c1").body["state"];
  const Json cold = make_router()->get_state("Counter", "c1").body["state"];
  EXPECT_EQ(cold["count"], 10);
  EXPECT_EQ(cached, cold);
}

TEST_F(RouterTest, StoreUnavailableSaysRetryLaterOnlyWhenTheStoreIsNotBroken) {
  store_.fail_next(Status::retry("the event log did not reach the disk within 30000 ms"));
  auto busy = run("Increment");
  EXPECT_EQ(busy.kind, Kind::kUnavailable);
  EXPECT_THAT(busy.body["detail"].get<std::string>(), EndsWith("; retry later"));
  // How long to wait, for the Retry-After header and for transports.
  EXPECT_EQ(busy.body.value("retry_after", Json()), 1) << busy.body.dump();

  // The memory store after a disk error: writes answer kRetry with what it
  // takes, health() kFailed. The answer must not promise that waiting helps.
  const std::string why =
      "event store failed and refuses writes until herald is restarted: disk full";
  store_.set_health(Status::failed(why));
  store_.fail_next(Status::retry(why));
  auto broken = run("Increment");
  EXPECT_EQ(broken.kind, Kind::kUnavailable);
  EXPECT_THAT(broken.body["detail"].get<std::string>(), HasSubstr("until herald is restarted"));
  EXPECT_THAT(broken.body["detail"].get<std::string>(), Not(HasSubstr("retry later")));
  EXPECT_FALSE(broken.body.contains("retry_after")) << broken.body.dump();
}

TEST_F(RouterTest, ExpectedVersionMismatchIs409WithCurrentVersion) {
  ASSERT_EQ(run("Increment").kind, Kind::kOk);
  ASSERT_EQ(run("Increment").kind, Kind::kOk);
  auto out = run("Increment", Json::object(), "c1", 0);
  EXPECT_EQ(out.kind, Kind::kConflict);
  EXPECT_EQ(out.body["current_version"], 1);
  EXPECT_EQ(run("Increment", Json::object(), "c1", 1).kind, Kind::kOk);
  EXPECT_EQ(run("Increment", Json::object(), "new", kNoVersion).kind, Kind::kOk);
}

TEST_F(RouterTest, ConcurrentWritersWithoutExpectedVersionLoseNoUpdate) {
  constexpr int kThreads = 16, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (run("Increment").kind != Kind::kOk) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto state = router_->get_state("Counter", "c1");
  EXPECT_EQ(state.body["version"], kThreads * kEach - 1);
  EXPECT_EQ(state.body["state"]["count"], kThreads * kEach);
}

TEST_F(RouterTest, IdempotencyKeyAnswersTheFirstResultAndAppendsNothing) {
  auto first = run("Increment", Json::object(), "c1", std::nullopt, "k1");
  ASSERT_EQ(first.kind, Kind::kOk);
  auto again = run("Increment", Json::object(), "c1", std::nullopt, "k1");
  ASSERT_EQ(again.kind, Kind::kOk);
  EXPECT_EQ(again.body["events"], first.body["events"]);
  EXPECT_EQ(store_.append_calls(), 1u);
  auto other = run("Increment", {{"by", 5}}, "c1", std::nullopt, "k1");
  EXPECT_EQ(other.kind, Kind::kRejected);
}

// Holds every Idempotency-Key lookup until `expected` lookups are waiting
// (or 300 ms pass), so that racing commands all look before any appends.
class LookupBarrierStore : public FakeEventStore {
 public:
  explicit LookupBarrierStore(int expected) : expected_(expected) {}
  Result<std::optional<IdempotencyRecord>> find_idempotency(const std::string& key) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::milliseconds(300), [&] { return waiting_ >= expected_; });
    }
    return FakeEventStore::find_idempotency(key);
  }

 private:
  const int expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
};

TEST(RouterIdempotency, RacingCommandsWithOneKeyAndOtherBodiesAreAllToldTheKeyIsReused) {
  // Four commands on one new stream, one key, four bodies. One wins; each
  // other one must hear "Idempotency-Key reused", not the 409 its own
  // expected_version would meet once the winner has appended (it had looked
  // the key up before the winner appended).
  constexpr int kRacers = 4;
  LookupBarrierStore store(kRacers);
  LimitsConfig limits;
  CommandRouter router(store, limits);
  AggregateType type;
  type.type = "Counter";
  type.aggregate = std::make_shared<Counter>();
  type.commands.emplace("Increment", CommandEntry{{"Increment", "", nullptr}, {}});
  router.add(std::move(type));

  std::vector<CommandOutcome> outcomes(kRacers);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      CommandRequest r;
      r.aggregate_type = "Counter";
      r.aggregate_id = "c1";
      r.type = "Increment";
      r.data = {{"by", i + 1}};
      r.expected_version = kNoVersion;  // the stream must be new
      r.idempotency_key = "k1";
      outcomes[i] = router.dispatch(r);
    });
  }
  for (auto& t : racers) t.join();
  int ok = 0;
  for (const auto& o : outcomes) {
    if (o.kind == Kind::kOk) {
      ++ok;
      continue;
    }
    EXPECT_EQ(o.body["type"], "urn:herald:problem:idempotency-key-reused") << o.body.dump();
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(store.append_calls(), 1u);
}

TEST_F(RouterTest, MetadataCarriesCorrelationAndCausation) {
  CommandRequest r;
  r.aggregate_type = "Counter";
  r.aggregate_id = "m";
  r.type = "Increment";
  r.metadata.user_id = "alice";
  r.metadata.source = "test";
  ASSERT_EQ(router_->dispatch(r).kind, Kind::kOk);
  r.metadata.correlation_id = "corr-1";
  ASSERT_EQ(router_->dispatch(r).kind, Kind::kOk);
  auto events = store_.read_stream({"Counter", "m"}, 0, 10)->events;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].metadata.user_id, "alice");
  EXPECT_EQ(events[0].metadata.source, "test");
  EXPECT_EQ(events[0].metadata.correlation_id.size(), 36u);
  EXPECT_EQ(events[0].metadata.causation_id.size(), 36u);
  EXPECT_NE(events[0].metadata.causation_id, events[1].metadata.causation_id);
  EXPECT_EQ(events[1].metadata.correlation_id, "corr-1");
}

TEST_F(RouterTest, NoEventsAnswersTheCurrentVersion) {
  ASSERT_EQ(run("Increment").kind, Kind::kOk);
  auto out = run("Noop");
  EXPECT_EQ(out.kind, Kind::kOk);
  EXPECT_EQ(out.body["version"], 0);
  EXPECT_TRUE(out.body["events"].empty());
}

TEST_F(RouterTest, AnEventTheAggregateCannotFoldIs500OnLoad) {
  ASSERT_EQ(run("Explode").kind, Kind::kOk);  // appended; the cache is dropped
  make_router();                              // cold cache
  auto out = run("Increment");
  EXPECT_EQ(out.kind, Kind::kInternal);
  EXPECT_NE(out.body["detail"].get<std::string>().find("Exploded"), std::string::npos);
}

TEST_F(RouterTest, SnapshotPlusTailEqualsFullReplay) {
  make_router(3);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(run("Increment", {{"by", i}}).kind, Kind::kOk);
  auto snap = store_.load_snapshot({"Counter", "c1"});
  ASSERT_TRUE(snap->has_value());
  EXPECT_EQ((*snap)->version, 5);
  make_router(3);  // cold: snapshot + tail
  auto with_snapshot = router_->get_state("Counter", "c1").body;
  make_router(0);  // cold: full replay
  auto replayed = router_->get_state("Counter", "c1").body;
  EXPECT_EQ(with_snapshot, replayed);
  EXPECT_EQ(replayed["state"]["count"], 28);
}

TEST_F(RouterTest, SnapshotOfAnotherStateFormatIsIgnored) {
  make_router(2);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(run("Increment").kind, Kind::kOk);
  store_.save_snapshot({{"Counter", "c1"}, 3, 1, {{"count", 999}}, 0});
  counter_->format = 2;
  make_router(2);
  EXPECT_EQ(router_->get_state("Counter", "c1").body["state"]["count"], 4);
  counter_->format = 1;
  make_router(2);
  EXPECT_EQ(router_->get_state("Counter", "c1").body["state"]["count"], 999);
}

TEST_F(RouterTest, BadIdsAre400) {
  EXPECT_EQ(run("Increment", Json::object(), "a b").kind, Kind::kBadRequest);
  EXPECT_EQ(run("Increment", Json::object(), std::string(300, 'x')).kind, Kind::kBadRequest);
}

}  // namespace
}  // namespace herald::gateway
