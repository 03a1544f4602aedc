// The log's encodings on their own: checksum, framing, payload round trips.
#include <gtest/gtest.h>

#include <cstring>

#include "crc32c.h"
#include "log_format.h"

namespace herald::plugins::memory {
namespace {

TEST(MemoryStoreLogFormatTest, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(MemoryStoreLogFormatTest, Crc32cHardwareAndTableVersionsAgree) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (std::size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 999, 1000}) {
    for (std::size_t start : {0, 1, 3}) {
      if (start + n > data.size()) continue;
      EXPECT_EQ(crc32c(data.data() + start, n), crc32c_portable(data.data() + start, n))
          << n << " bytes from " << start;
    }
  }
  EXPECT_EQ(crc32c_portable("123456789", 9), 0xE3069283u);
}

TEST(MemoryStoreLogFormatTest, Crc32cCanBeExtendedPieceByPiece) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::uint32_t whole = crc32c(text.data(), text.size());
    std::uint32_t pieces = crc32c(text.data() + cut, text.size() - cut, crc32c(text.data(), cut));
    ASSERT_EQ(whole, pieces) << "cut at " << cut;
  }
}

TEST(MemoryStoreLogFormatTest, EventBatchRoundTrips) {
  AppendRequest req;
  req.stream = {"User", "u-ä1"};
  req.idempotency_key = "key-1";
  req.idempotency_fingerprint = "fp";
  req.idempotency_expires_at = 1234567890123;
  NewEvent a;
  a.id = "id-a";
  a.type = "UserCreated";
  a.schema_version = 3;
  a.data = Json{{"name", "Ada"}, {"tags", {1, 2.5, nullptr, "x"}}};
  a.metadata.correlation_id = "c";
  a.metadata.causation_id = "k";
  a.metadata.user_id = "me";
  a.metadata.source = "http";
  a.metadata.extra = Json{{"trace", "t-1"}};
  NewEvent b;
  b.id = "id-b";
  b.type = "UserRenamed";
  b.data = Json::object();
  req.events = {a, b};

  std::string payload = encode_event_batch(req).payload;
  DecodedBatch out;
  ASSERT_EQ(decode_event_batch(payload, Placement{42, 7, 99}, out), "");
  EXPECT_EQ(out.layout.stream, req.stream);
  EXPECT_EQ(out.layout.idempotency_key, "key-1");
  EXPECT_EQ(out.layout.idempotency_fingerprint, "fp");
  EXPECT_EQ(out.layout.idempotency_expires_at, 1234567890123);
  // The layout the encoder reports is the one a scan finds.
  EncodedBatch encoded = encode_event_batch(req);
  EXPECT_EQ(out.layout.event_offsets, encoded.event_offsets);
  EXPECT_EQ(event_id_at(payload, encoded.event_offsets[1]), "id-b");
  EXPECT_EQ(event_type_at(payload, encoded.event_offsets[1]), "UserRenamed");
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].id, "id-a");
  EXPECT_EQ(out.events[0].type, "UserCreated");
  EXPECT_EQ(out.events[0].schema_version, 3);
  EXPECT_EQ(out.events[0].data, a.data);
  EXPECT_EQ(out.events[0].metadata, a.metadata);
  EXPECT_EQ(out.events[0].position, 42u);
  EXPECT_EQ(out.events[0].version, 7);
  EXPECT_EQ(out.events[0].timestamp, 99);
  EXPECT_EQ(out.events[1].position, 43u);
  EXPECT_EQ(out.events[1].version, 8);
  EXPECT_EQ(out.events[1].metadata.extra, Json::object());
  EXPECT_EQ(out.events[1].stream, req.stream);
}

// The encoder writes common JSON itself and leaves the rest to nlohmann:
// either way the stored text is exactly Json::dump()'s.
TEST(MemoryStoreLogFormatTest, EventJsonIsStoredAsItsCompactDump) {
  const std::vector<Json> values = {
      Json::object(),
      Json::array(),
      Json{{"name", "Ada"}, {"age", 36}, {"active", true}, {"gone", nullptr}},
      Json{{"n", -9223372036854775807LL - 1}, {"u", 18446744073709551615ULL}, {"z", 0}},
      Json{{"f", 12.5}, {"g", -0.0}, {"h", 1e300}, {"i", 0.1}},
      Json{{"quote \" key", "back\\slash"}, {"ctl", std::string("a\x01\n\t")}, {"del", "\x7f"}},
      Json{{"ü", "naïve ☃ 😀"}, {"nested", {{"a", {1, 2, {{"b", "c"}}}}, {"e", Json::array()}}}},
      Json::parse(R"([1, "two", 3.0, [false, null], {"k": [{"x": -1}]}])"),
  };
  for (const Json& data : values) {
    AppendRequest req;
    req.stream = {"User", "u1"};
    NewEvent e;
    e.id = "id";
    e.type = "T";
    e.data = data;
    e.metadata.extra = data.is_object() ? data : Json::object();
    req.events = {e};
    const std::string payload = encode_event_batch(req).payload;
    EXPECT_NE(payload.find(data.dump()), std::string::npos) << data.dump();
    DecodedBatch out;
    ASSERT_EQ(decode_event_batch(payload, Placement{1, 0, 1}, out), "") << data.dump();
    EXPECT_EQ(out.events[0].data, data);
    EXPECT_EQ(out.events[0].metadata.extra, e.metadata.extra);
  }
  // Invalid UTF-8 is refused as nlohmann refuses it, not stored.
  AppendRequest bad;
  bad.stream = {"User", "u1"};
  NewEvent e;
  e.id = "id";
  e.type = "T";
  e.data = Json{{"k", std::string("\xff\xfe")}};
  bad.events = {e};
  EXPECT_THROW(encode_event_batch(bad), Json::type_error);
}

TEST(MemoryStoreLogFormatTest, EncodingIntoUsedBuffersReplacesTheirContent) {
  AppendRequest req;
  req.stream = {"User", "u1"};
  NewEvent e;
  e.id = "id-1";
  e.type = "UserCreated";
  e.data = Json{{"name", "a fairly long name to make the first payload the larger one"}};
  req.events = {e, e};
  req.events[1].id = "id-2";
  std::string payload;
  std::vector<std::uint32_t> offsets;
  encode_event_batch(req, payload, offsets);
  req.events.resize(1);
  req.events[0].data = Json{{"name", "b"}};
  encode_event_batch(req, payload, offsets);
  EncodedBatch fresh = encode_event_batch(req);
  EXPECT_EQ(payload, fresh.payload);
  EXPECT_EQ(offsets, fresh.event_offsets);
}

TEST(MemoryStoreLogFormatTest, TruncatedPayloadIsReportedNotMisread) {
  AppendRequest req;
  req.stream = {"User", "u1"};
  NewEvent e;
  e.id = "x";
  e.type = "T";
  e.data = Json{{"k", "v"}};
  req.events = {e};
  std::string payload = encode_event_batch(req).payload;
  for (std::size_t n = 0; n < payload.size(); ++n) {
    DecodedBatch out;
    EXPECT_NE(decode_event_batch(std::string_view(payload).substr(0, n), Placement{1, 0, 1}, out),
              "")
        << n;
  }
}

TEST(MemoryStoreLogFormatTest, SnapshotAndCheckpointRoundTrip) {
  Snapshot s;
  s.stream = {"Order", "o-9"};
  s.version = 120;
  s.state_format = 2;
  s.state = Json{{"total", 12.5}};
  s.taken_at = 777;
  Snapshot back;
  ASSERT_EQ(decode_snapshot(encode_snapshot(s), back), "");
  EXPECT_EQ(back.stream, s.stream);
  EXPECT_EQ(back.version, 120);
  EXPECT_EQ(back.state_format, 2);
  EXPECT_EQ(back.state, s.state);
  EXPECT_EQ(back.taken_at, 777);

  std::string name;
  Position p = 0;
  ASSERT_EQ(decode_checkpoint(encode_checkpoint("projection:users", 1ull << 40), name, p), "");
  EXPECT_EQ(name, "projection:users");
  EXPECT_EQ(p, 1ull << 40);
}

TEST(MemoryStoreLogFormatTest, RecordHeaderChecksumCatchesEveryFlippedBit) {
  std::string framed;
  append_record(framed, RecordType::kEventBatch, Placement{5, 2, 1234}, "payload",
                crc32c("payload", 7));
  ASSERT_EQ(framed.size(), kRecordHeaderSize + 7);
  RecordHeader h;
  ASSERT_TRUE(parse_record_header(reinterpret_cast<const unsigned char*>(framed.data()), h));
  EXPECT_EQ(h.length, 7u);
  EXPECT_EQ(h.type, static_cast<std::uint8_t>(RecordType::kEventBatch));
  EXPECT_EQ(h.placement.first_position, 5u);
  EXPECT_EQ(h.placement.first_version, 2);
  EXPECT_EQ(h.placement.timestamp, 1234);
  EXPECT_EQ(h.payload_crc, crc32c("payload", 7));
  for (std::size_t bit = 0; bit < kRecordHeaderSize * 8; ++bit) {
    std::string damaged = framed;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(parse_record_header(reinterpret_cast<const unsigned char*>(damaged.data()), h))
        << "bit " << bit;
  }
}

TEST(MemoryStoreLogFormatTest, FileHeaderIsCheckedForMagicAndVersion) {
  std::string header = encode_file_header();
  ASSERT_EQ(header.size(), kFileHeaderSize);
  auto bytes = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  };
  EXPECT_EQ(check_file_header(bytes(header)), "");
  std::string other = header;
  other[0] = 'X';
  EXPECT_NE(check_file_header(bytes(other)).find("magic"), std::string::npos);
  std::string newer = header;
  newer[8] = 9;
  std::uint32_t crc = crc32c(newer.data(), 12);
  std::memcpy(newer.data() + 12, &crc, 4);
  EXPECT_NE(check_file_header(bytes(newer)).find("format version 9"), std::string::npos);
}

}  // namespace
}  // namespace herald::plugins::memory
