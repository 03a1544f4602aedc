// The log writer's thread on its own, with a sequencer the test controls.
#include "log_writer.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <new>

#include "log_file.h"
#include "test_support.h"

namespace herald::plugins::memory {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Throws where the memory store's sequencer would run out of memory.
class ThrowingSequencer final : public Sequencer {
 public:
  void sequence(const std::vector<JobPtr>&) override { throw std::bad_alloc(); }
  void made_durable(const std::vector<JobPtr>&) override {}
};

// An exception on the writer's thread (bad_alloc, most likely) left the
// thread and ended the process; it fails the writer for good instead, and
// the callers waiting on the batch get kRetry with the reason.
TEST(LogWriter, AnExceptionOnItsThreadFailsTheWriterNotTheProcess) {
  TempDir dir;
  auto logger = std::make_shared<spdlog::logger>("log-writer-test",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  LogFile file;
  ASSERT_TRUE(
      file.open(dir.file("events.log"), *logger,
                [](const RecordHeader&, std::string_view, std::uint64_t) { return Status::ok(); })
          .is_ok());
  ThrowingSequencer sequencer;
  LogWriter writer(&file, FsyncMode::kBatch, 0, sequencer, logger);
  auto job = std::make_shared<Job>(RecordType::kEventBatch);
  job->payload = "x";
  writer.submit(job);
  Status waited = writer.wait(*job, 10s);
  ASSERT_TRUE(waited.is_ok()) << waited.message();
  EXPECT_EQ(job->status.code(), StatusCode::kRetry);
  EXPECT_NE(job->status.message().find("bad_alloc"), std::string::npos) << job->status.message();
  EXPECT_TRUE(writer.failed());
  EXPECT_EQ(writer.health().code(), StatusCode::kFailed);
  // Later jobs are refused, not written.
  auto later = std::make_shared<Job>(RecordType::kEventBatch);
  later->payload = "y";
  writer.submit(later);
  ASSERT_TRUE(writer.wait(*later, 10s).is_ok());
  EXPECT_EQ(later->status.code(), StatusCode::kRetry);
  writer.stop();
}

}  // namespace
}  // namespace herald::plugins::memory
