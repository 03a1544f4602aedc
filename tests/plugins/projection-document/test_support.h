// Helpers for the document projection's tests: projections made from a JSON
// config (the shape the YAML takes) and events with real positions.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "document_config.h"
#include "document_projection.h"
#include "herald/event.h"

namespace herald::plugins::document::testing {

inline std::unique_ptr<DocumentProjection> make_projection(const Json& config) {
  return std::make_unique<DocumentProjection>(
      std::make_shared<const DocumentConfig>(compile_config(config)), nullptr);
}

inline std::unique_ptr<DocumentProjection> make_projection(const char* json) {
  return make_projection(Json::parse(json));
}

// Events as a store would record them: positions from 1 with no gaps,
// versions per stream from 0, timestamps one second apart.
class EventLog {
 public:
  RecordedEvent next(const std::string& stream_type, const std::string& stream_id,
                     const std::string& type, Json data = Json::object(), Metadata metadata = {}) {
    RecordedEvent e;
    ++position_;
    e.id = "evt-" + std::to_string(position_);
    e.stream = {stream_type, stream_id};
    e.type = type;
    e.version = ++versions_.try_emplace(e.stream.key(), kNoVersion).first->second;
    e.position = position_;
    e.timestamp = kStart + static_cast<TimestampUs>(position_) * 1000000;
    e.data = std::move(data);
    e.metadata = std::move(metadata);
    return e;
  }

  RecordedEvent user(const std::string& id, const std::string& type, Json data = Json::object()) {
    return next("User", id, type, std::move(data));
  }

  // 2026-01-01T00:00:00Z
  static constexpr TimestampUs kStart = 1767225600LL * 1000000;

 private:
  Position position_ = 0;
  std::map<std::string, Version> versions_;
};

}  // namespace herald::plugins::document::testing
