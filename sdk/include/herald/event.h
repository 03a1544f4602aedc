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
  std::time_t secs = static_cast<std::time_t>(ts / 1000000);
  long micros = static_cast<long>(ts % 1000000);
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
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
