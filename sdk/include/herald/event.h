// Events, streams and metadata: the values every part of herald exchanges.
//
// All types here are plain values, safe to copy between threads. JSON payloads
// are nlohmann::json; host and plugins share one C++ runtime and one copy of
// this header (checked through kAbiVersion in plugin.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace herald {

using Json = nlohmann::json;

// Per-stream version of an event: 0 for the first event of a stream, no gaps.
using Version = std::int64_t;
// Version of a stream that has no events yet.
inline constexpr Version kNoVersion = -1;

// Position in the global log ("$all"): 1 for the first event ever appended,
// no gaps. 0 means "before the first event".
using Position = std::uint64_t;

// Microseconds since the Unix epoch, UTC.
using TimestampUs = std::int64_t;

inline TimestampUs now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 with microseconds, e.g. 2026-11-26T21:28:07.123456Z.
inline std::string format_timestamp(TimestampUs ts) {
  // Pure arithmetic (days to civil date, H. Hinnant's algorithm): this runs
  // for every event a projection or aggregate reads a timestamp of, and
  // gmtime_r + snprintf take a lock and a format parser.
  std::int64_t secs = ts / 1000000;
  std::int64_t micros = ts % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                  static_cast<long long>(year), static_cast<long long>(month),
                  static_cast<long long>(day), static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                  static_cast<long long>(micros));
    return buf;
  }
  std::string out = "0000-00-00T00:00:00.000000Z";
  auto put = [&out](std::size_t at, std::int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  put(20, micros, 6);
  return out;
}

// A stream is the history of one aggregate instance: its type and its id.
struct StreamId {
  std::string type;  // aggregate type, e.g. "User"
  std::string id;    // aggregate id, e.g. "u1"

  std::string key() const { return type + "/" + id; }
  bool operator==(const StreamId&) const = default;
};

// Who caused an event and why. correlation_id ties together everything that
// followed one original request; causation_id is the id of the command (or
// event) that directly caused this one.
struct Metadata {
  std::string correlation_id;
  std::string causation_id;
  std::string user_id;
  std::string source;
  Json extra = Json::object();  // any further keys the client sent

  bool operator==(const Metadata&) const = default;
};

// An event as decided by an aggregate, before the store has placed it.
struct NewEvent {
  std::string id;  // UUID; consumers drop duplicates by it
  std::string type;
  int schema_version = 1;
  Json data = Json::object();
  Metadata metadata;
};

// An event as the store holds it.
struct RecordedEvent {
  std::string id;
  StreamId stream;
  std::string type;
  int schema_version = 1;
  Version version = 0;
  Position position = 0;
  TimestampUs timestamp = 0;
  Json data = Json::object();
  Metadata metadata;
};

inline Json to_json(const Metadata& m) {
  Json j = m.extra.is_object() ? m.extra : Json::object();
  if (!m.correlation_id.empty()) j["correlation_id"] = m.correlation_id;
  if (!m.causation_id.empty()) j["causation_id"] = m.causation_id;
  if (!m.user_id.empty()) j["user_id"] = m.user_id;
  if (!m.source.empty()) j["source"] = m.source;
  return j;
}

// Reads metadata from a JSON object. Known keys that are not strings are
// returned in `error` (empty when the object is well-formed).
inline Metadata metadata_from_json(const Json& j, std::string* error = nullptr) {
  Metadata m;
  if (!j.is_object()) {
    if (error && !j.is_null()) *error = "metadata must be an object";
    return m;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string* slot = nullptr;
    if (it.key() == "correlation_id") slot = &m.correlation_id;
    else if (it.key() == "causation_id") slot = &m.causation_id;
    else if (it.key() == "user_id") slot = &m.user_id;
    else if (it.key() == "source") slot = &m.source;
    if (slot == nullptr) {
      m.extra[it.key()] = it.value();
    } else if (it.value().is_string()) {
      *slot = it.value().get<std::string>();
    } else if (error) {
      *error = "metadata." + it.key() + " must be a string";
    }
  }
  return m;
}

inline Json to_json(const RecordedEvent& e) {
  return Json{{"id", e.id},
              {"stream", {{"type", e.stream.type}, {"id", e.stream.id}}},
              {"type", e.type},
              {"schema_version", e.schema_version},
              {"version", e.version},
              {"position", e.position},
              {"timestamp", format_timestamp(e.timestamp)},
              {"data", e.data},
              {"metadata", to_json(e.metadata)}};
}

}  // namespace herald
