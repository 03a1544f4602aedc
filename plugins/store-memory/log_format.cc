#include "log_format.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "crc32c.h"
#include "herald/json_text.h"

namespace herald::plugins::memory {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}

void put_varint(std::string& out, std::uint64_t v) {
  char buf[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

void put_signed(std::string& out, std::int64_t v) {
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// A u32 length, then the compact text, serialized straight into `out` (no
// temporary string: this runs for every event appended). An empty object is
// by far the most common extra metadata: it is stored as "".
void put_json(std::string& out, const Json& j, bool empty_object_as_nothing = false) {
  const std::size_t at = out.size();
  put_u32(out, 0);
  if (empty_object_as_nothing && j.is_object() && j.empty()) return;
  append_json(out, j);
  const auto length = static_cast<std::uint32_t>(out.size() - at - 4);
  std::memcpy(out.data() + at, &length, 4);
}

// Reads a payload front to back. Every getter returns false once the payload
// is exhausted or malformed, and `error` says where.
class Reader {
 public:
  explicit Reader(std::string_view data, std::size_t offset = 0)
      : p_(data.data() + std::min(offset, data.size())), end_(data.data() + data.size()) {}

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail("varint runs past the end of the record");
      auto byte = static_cast<unsigned char>(*p_++);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return fail("varint longer than 10 bytes");
  }

  bool signed_varint(std::int64_t& v) {
    std::uint64_t u;
    if (!varint(u)) return false;
    v = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }

  bool integer(int& v) {
    std::int64_t w;
    if (!signed_varint(w)) return false;
    v = static_cast<int>(w);
    return true;
  }

  bool string(std::string& s) {
    std::uint64_t n;
    if (!varint(n)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      return fail("string runs past the end of the record");
    }
    s.assign(p_, n);
    p_ += n;
    return true;
  }

  bool view(std::string_view& s) {
    std::uint64_t n;
    if (!varint(n)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      return fail("string runs past the end of the record");
    }
    s = std::string_view(p_, n);
    p_ += n;
    return true;
  }

  bool skip_string() {
    std::string_view ignored;
    return view(ignored);
  }

  bool skip_json() {
    std::uint32_t n;
    if (!fixed(&n, 4)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      return fail("JSON runs past the end of the record");
    }
    p_ += n;
    return true;
  }

  std::size_t consumed_from(const char* start) const {
    return static_cast<std::size_t>(p_ - start);
  }

  bool json(Json& j, bool empty_is_object = false) {
    std::uint32_t n;
    if (!fixed(&n, 4)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      return fail("JSON runs past the end of the record");
    }
    if (n == 0 && empty_is_object) {
      j = Json::object();
      return true;
    }
    j = Json::parse(p_, p_ + n, nullptr, /*allow_exceptions=*/false);
    p_ += n;
    if (j.is_discarded()) return fail("JSON value does not parse");
    return true;
  }

  bool u8(std::uint8_t& v) { return fixed(&v, 1); }

  bool at_end() const { return p_ == end_; }
  const std::string& error() const { return error_; }
  bool fail(const char* why) {
    if (error_.empty()) error_ = why;
    return false;
  }

 private:
  bool fixed(void* v, std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) {
      return fail("record shorter than its fixed fields");
    }
    std::memcpy(v, p_, n);
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
  std::string error_;
};

std::string finish(Reader& r, bool ok) {
  if (!ok) return r.error().empty() ? "malformed record" : r.error();
  if (!r.at_end()) return "unexpected bytes after the last field";
  return {};
}

}  // namespace

const char* to_string(RecordType type) {
  switch (type) {
    case RecordType::kEventBatch: return "event batch";
    case RecordType::kSnapshot: return "snapshot";
    case RecordType::kCheckpoint: return "checkpoint";
  }
  return "unknown";
}

bool is_known(std::uint8_t type) {
  return type >= 1 && type <= 3;
}

std::string encode_file_header() {
  std::string out(kFileMagic, sizeof kFileMagic);
  put_u32(out, kFormatVersion);
  put_u32(out, crc32c(out.data(), out.size()));
  return out;
}

std::string check_file_header(const unsigned char* bytes) {
  if (std::memcmp(bytes, kFileMagic, sizeof kFileMagic) != 0) {
    return "it does not start with the herald event log magic (is it another kind of file?)";
  }
  std::uint32_t version;
  std::uint32_t crc;
  std::memcpy(&version, bytes + 8, 4);
  std::memcpy(&crc, bytes + 12, 4);
  if (crc != crc32c(bytes, 12)) return "its file header checksum does not match";
  if (version != kFormatVersion) {
    return "it has format version " + std::to_string(version) + " and this herald reads version " +
           std::to_string(kFormatVersion) + " (was it written by another herald release?)";
  }
  return {};
}

void append_record(std::string& out, RecordType type, const Placement& placement,
                   std::string_view payload, std::uint32_t payload_crc) {
  unsigned char header[kRecordHeaderSize] = {};
  auto length = static_cast<std::uint32_t>(payload.size());
  std::memcpy(header, &length, 4);
  header[4] = static_cast<unsigned char>(type);
  std::memcpy(header + 8, &placement.first_position, 8);
  std::memcpy(header + 16, &placement.first_version, 8);
  std::memcpy(header + 24, &placement.timestamp, 8);
  std::memcpy(header + 32, &payload_crc, 4);
  std::uint32_t header_crc = crc32c(header, 36);
  std::memcpy(header + 36, &header_crc, 4);
  out.append(reinterpret_cast<const char*>(header), kRecordHeaderSize);
  out.append(payload);
}

bool parse_record_header(const unsigned char* bytes, RecordHeader& out) {
  std::uint32_t header_crc;
  std::memcpy(&header_crc, bytes + 36, 4);
  if (header_crc != crc32c(bytes, 36)) return false;
  std::memcpy(&out.length, bytes, 4);
  out.type = bytes[4];
  std::memcpy(&out.placement.first_position, bytes + 8, 8);
  std::memcpy(&out.placement.first_version, bytes + 16, 8);
  std::memcpy(&out.placement.timestamp, bytes + 24, 8);
  std::memcpy(&out.payload_crc, bytes + 32, 4);
  return true;
}

EncodedBatch encode_event_batch(const AppendRequest& request) {
  EncodedBatch batch;
  encode_event_batch(request, batch.payload, batch.event_offsets);
  return batch;
}

void encode_event_batch(const AppendRequest& request, std::string& out,
                        std::vector<std::uint32_t>& event_offsets) {
  out.clear();
  event_offsets.clear();
  out.reserve(64 + request.events.size() * 192);
  put_string(out, request.stream.type);
  put_string(out, request.stream.id);
  bool has_key = !request.idempotency_key.empty();
  out.push_back(has_key ? 1 : 0);
  if (has_key) {
    put_string(out, request.idempotency_key);
    put_string(out, request.idempotency_fingerprint);
    put_signed(out, request.idempotency_expires_at);
  }
  put_varint(out, request.events.size());
  event_offsets.reserve(request.events.size());
  for (const NewEvent& e : request.events) {
    event_offsets.push_back(static_cast<std::uint32_t>(out.size()));
    put_string(out, e.id);
    put_string(out, e.type);
    put_signed(out, e.schema_version);
    put_json(out, e.data);
    put_string(out, e.metadata.correlation_id);
    put_string(out, e.metadata.causation_id);
    put_string(out, e.metadata.user_id);
    put_string(out, e.metadata.source);
    put_json(out, e.metadata.extra, /*empty_object_as_nothing=*/true);
  }
}

std::string scan_event_batch(std::string_view payload, BatchLayout& out) {
  Reader r(payload);
  std::uint8_t flags = 0;
  std::uint64_t count = 0;
  bool ok = r.string(out.stream.type) && r.string(out.stream.id) && r.u8(flags);
  if (ok && (flags & 1) != 0) {
    ok = r.string(out.idempotency_key) && r.string(out.idempotency_fingerprint) &&
         r.signed_varint(out.idempotency_expires_at);
  }
  ok = ok && r.varint(count);
  // Each event takes at least 15 bytes: a count beyond that is damage, and
  // must not become a huge reserve().
  if (ok && count > payload.size() / 15) ok = r.fail("event count larger than the record can hold");
  if (ok && count == 0) ok = r.fail("event batch without events");
  if (ok) out.event_offsets.reserve(count);
  for (std::uint64_t i = 0; ok && i < count; ++i) {
    out.event_offsets.push_back(static_cast<std::uint32_t>(r.consumed_from(payload.data())));
    int schema_version = 0;
    std::string_view id;
    std::string_view type;
    ok = r.view(id) && r.view(type) && r.integer(schema_version) && r.skip_json() &&
         r.skip_string() && r.skip_string() && r.skip_string() && r.skip_string() && r.skip_json();
    if (ok && id.empty()) ok = r.fail("event without an id");
  }
  return finish(r, ok);
}

std::string_view event_id_at(std::string_view payload, std::uint32_t offset) {
  Reader r(payload, offset);
  std::string_view id;
  r.view(id);
  return id;
}

std::string_view event_type_at(std::string_view payload, std::uint32_t offset) {
  Reader r(payload, offset);
  std::string_view type;
  if (r.skip_string()) r.view(type);
  return type;
}

std::string decode_event_at(std::string_view payload, std::uint32_t offset, RecordedEvent& e) {
  Reader r(payload, offset);
  bool ok = r.string(e.id) && r.string(e.type) && r.integer(e.schema_version) && r.json(e.data) &&
            r.string(e.metadata.correlation_id) && r.string(e.metadata.causation_id) &&
            r.string(e.metadata.user_id) && r.string(e.metadata.source) &&
            r.json(e.metadata.extra, /*empty_is_object=*/true);
  if (!ok) return r.error().empty() ? "malformed event" : r.error();
  return {};
}

std::string decode_event_batch(std::string_view payload, const Placement& placement,
                               DecodedBatch& out) {
  if (std::string error = scan_event_batch(payload, out.layout); !error.empty()) return error;
  const auto& offsets = out.layout.event_offsets;
  out.events.resize(offsets.size());
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    RecordedEvent& e = out.events[i];
    if (std::string error = decode_event_at(payload, offsets[i], e); !error.empty()) return error;
    e.stream = out.layout.stream;
    e.version = placement.first_version + static_cast<Version>(i);
    e.position = placement.first_position + i;
    e.timestamp = placement.timestamp;
  }
  return {};
}

std::string encode_snapshot(const Snapshot& snapshot) {
  std::string out;
  put_string(out, snapshot.stream.type);
  put_string(out, snapshot.stream.id);
  put_signed(out, snapshot.version);
  put_signed(out, snapshot.state_format);
  put_signed(out, snapshot.taken_at);
  put_json(out, snapshot.state);
  return out;
}

std::string decode_snapshot(std::string_view payload, Snapshot& out) {
  Reader r(payload);
  bool ok = r.string(out.stream.type) && r.string(out.stream.id) && r.signed_varint(out.version) &&
            r.integer(out.state_format) && r.signed_varint(out.taken_at) && r.json(out.state);
  return finish(r, ok);
}

std::string encode_checkpoint(const std::string& name, Position position) {
  std::string out;
  put_string(out, name);
  put_varint(out, position);
  return out;
}

std::string decode_checkpoint(std::string_view payload, std::string& name, Position& position) {
  Reader r(payload);
  std::uint64_t p = 0;
  bool ok = r.string(name) && r.varint(p);
  position = p;
  return finish(r, ok);
}

}  // namespace herald::plugins::memory
