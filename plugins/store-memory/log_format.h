// The on-disk format of the event log: file header, record framing and the
// payload of each record type. Pure functions; any thread.
//
// File layout (all integers little-endian):
//
//   file header, 16 bytes:  magic "HRLDLOG\0" | u32 format version | u32 crc32c of the 12 bytes
//   before then records, each a 40-byte header and a payload:
//     u32 payload length | u8 type | 3 zero bytes
//     | u64 first position | i64 first version | i64 timestamp      (the Placement; 0 if no events)
//     | u32 crc32c of the payload | u32 crc32c of the 36 header bytes before
//
// The header carries its own checksum, so a damaged length is never taken
// for a record that merely runs past the end of the file (a torn tail,
// which recovery may cut off). What the writer assigns to an append — its
// first position and version and its timestamp — lives in the header, so
// the payload is encoded and checksummed once, on the caller's thread, and
// the writer only checksums 36 header bytes.
//
// Payloads are a compact binary encoding: unsigned LEB128 varints, zigzag
// varints for signed values, strings as a varint length and bytes, and JSON
// values as a u32 length and their compact text.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herald/store.h"

namespace herald::plugins::memory {

static_assert(std::endian::native == std::endian::little,
              "the event log format is written with memcpy and assumes a little-endian CPU");

inline constexpr char kFileMagic[8] = {'H', 'R', 'L', 'D', 'L', 'O', 'G', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr std::size_t kRecordHeaderSize = 40;

// A record's type byte. Values are part of the file format: never reuse one.
enum class RecordType : std::uint8_t {
  // One append: all of its events and, when the request had one, its
  // idempotency key. One record, so the key and the events are durable
  // together or not at all.
  kEventBatch = 1,
  kSnapshot = 2,
  kCheckpoint = 3,
};

const char* to_string(RecordType type);
bool is_known(std::uint8_t type);

// Where an append's events go: set by the writer's sequencer.
struct Placement {
  Position first_position = 0;
  Version first_version = 0;
  TimestampUs timestamp = 0;
};

std::string encode_file_header();
// Why `bytes` (kFileHeaderSize of them) is not a header this build can read;
// empty when it is.
std::string check_file_header(const unsigned char* bytes);

// Appends header and payload of one record to `out`. `payload_crc` is
// crc32c(payload), computed by whoever encoded the payload.
void append_record(std::string& out, RecordType type, const Placement& placement,
                   std::string_view payload, std::uint32_t payload_crc);

struct RecordHeader {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  Placement placement;
  std::uint32_t payload_crc = 0;
};
// False when the header's own checksum does not match.
bool parse_record_header(const unsigned char* bytes, RecordHeader& out);

// --- Event batches -------------------------------------------------------
//
// The store keeps an append in memory as its encoded payload and decodes an
// event only when someone reads it: a small event then takes ~200 bytes and
// one allocation instead of ~1.3 KB in a dozen, and replay need not parse
// any JSON.

// An append's payload and where each of its events starts in it.
struct EncodedBatch {
  std::string payload;
  std::vector<std::uint32_t> event_offsets;
};
EncodedBatch encode_event_batch(const AppendRequest& request);
// The same into `payload` and `event_offsets`, replacing what they held and
// reusing their memory.
void encode_event_batch(const AppendRequest& request, std::string& payload,
                        std::vector<std::uint32_t>& event_offsets);

// The batch fields of a payload and where its events start, found without
// parsing JSON. Every length is checked against the payload.
struct BatchLayout {
  StreamId stream;
  std::string idempotency_key;  // empty: the append had none
  std::string idempotency_fingerprint;
  TimestampUs idempotency_expires_at = 0;
  std::vector<std::uint32_t> event_offsets;
};
// Returns why the payload is malformed; empty on success.
std::string scan_event_batch(std::string_view payload, BatchLayout& out);

// The id and type of the event at `offset` of a payload that
// encode_event_batch() made or scan_event_batch() accepted.
std::string_view event_id_at(std::string_view payload, std::uint32_t offset);
std::string_view event_type_at(std::string_view payload, std::uint32_t offset);

// Decodes the event at `offset`: id, type, schema version, data and
// metadata. Stream, version, position and timestamp are the caller's.
// Returns why it cannot; empty on success.
std::string decode_event_at(std::string_view payload, std::uint32_t offset, RecordedEvent& out);

// A whole batch at once, for tests and tools.
struct DecodedBatch {
  BatchLayout layout;
  std::vector<RecordedEvent> events;  // versions, positions and timestamps from the placement
};
std::string decode_event_batch(std::string_view payload, const Placement& placement,
                               DecodedBatch& out);

// --- Snapshots and checkpoints -----------------------------------------------
std::string encode_snapshot(const Snapshot& snapshot);
std::string decode_snapshot(std::string_view payload, Snapshot& out);

std::string encode_checkpoint(const std::string& name, Position position);
std::string decode_checkpoint(std::string_view payload, std::string& name, Position& position);

}  // namespace herald::plugins::memory
