// The on-disk format of the event log: file header, record framing and the
// payload of each record type. Pure functions; any thread.
//
// File layout (all integers little-endian):
//
//   file header, 16 bytes:  magic "HRLDLOG\0" | u32 format version | u32 crc32c of the 12 bytes before
//   then records, each:     u32 payload length | u8 type | 3 zero bytes | u32 crc32c of the payload
//                           | u32 crc32c of the 12 header bytes before | payload
//
// The header carries its own checksum so that a damaged length can never be
// mistaken for a record that merely runs past the end of the file (a torn
// tail, which recovery may cut off). Payloads are a compact binary encoding:
// unsigned LEB128 varints, zigzag varints for signed values, strings as a
// varint length and bytes, and JSON values as their compact text.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/store.h"

namespace herald::plugins::memory {

static_assert(std::endian::native == std::endian::little,
              "the event log format is written with memcpy and assumes a little-endian CPU");

inline constexpr char kFileMagic[8] = {'H', 'R', 'L', 'D', 'L', 'O', 'G', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr std::size_t kRecordHeaderSize = 16;

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

std::string encode_file_header();
// Why `bytes` (kFileHeaderSize of them) is not a header this build can read;
// empty when it is.
std::string check_file_header(const unsigned char* bytes);

// Appends header and payload of one record to `out`.
void append_record(std::string& out, RecordType type, std::string_view payload);

struct RecordHeader {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  std::uint32_t payload_crc = 0;
};
// False when the header's own checksum does not match.
bool parse_record_header(const unsigned char* bytes, RecordHeader& out);

// --- Event batches -------------------------------------------------------
//
// The appender encodes the batch before it takes the store's lock, with its
// first position, first version and timestamp left blank; under the lock it
// fills them in with place_event_batch (a 24-byte memcpy), so the lock is
// never held while JSON is serialized.
std::string encode_event_batch(const AppendRequest& request);
void place_event_batch(std::string& payload, Position first_position, Version first_version,
                       TimestampUs timestamp);

struct DecodedBatch {
  StreamId stream;
  std::string idempotency_key;  // empty: the append had none
  std::string idempotency_fingerprint;
  TimestampUs idempotency_expires_at = 0;
  std::vector<RecordedEvent> events;  // versions, positions and timestamps filled in
};
// Returns why the payload is malformed; empty on success.
std::string decode_event_batch(std::string_view payload, DecodedBatch& out);

// --- Snapshots and checkpoints -----------------------------------------------
std::string encode_snapshot(const Snapshot& snapshot);
std::string decode_snapshot(std::string_view payload, Snapshot& out);

std::string encode_checkpoint(const std::string& name, Position position);
std::string decode_checkpoint(std::string_view payload, std::string& name, Position& position);

}  // namespace herald::plugins::memory
