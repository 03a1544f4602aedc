// The chain of upcasters the gateway runs on every event it reads (aggregate
// loads, subscriptions, the HTTP read API), so old events meet new code.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "herald/upcaster.h"

namespace herald::gateway {

class UpcasterChain {
 public:
  // Start-up only. Throws std::invalid_argument when two upcasters take the
  // same (event type, version).
  void add(std::shared_ptr<const Upcaster> upcaster);
  bool empty() const { return by_key_.empty(); }
  // The event types some upcaster takes (any version).
  std::set<std::string> event_types() const;

  // Runs matching upcasters until none matches. Any thread. kFailed when an
  // upcaster fails or does not move the schema version forward.
  Status upcast(RecordedEvent& event) const;
  Status upcast(std::vector<RecordedEvent>& events) const;

 private:
  std::map<std::pair<std::string, int>, std::shared_ptr<const Upcaster>> by_key_;
};

// An upcaster declared in YAML (`upcasters:` entries without `plugin:`):
//   event: UserCreated    from_version: 1    to_version: 2 (default from+1)
//   rename_fields: {fullName: name}   defaults: {tier: basic}   drop: [legacy]
//   rename_type: UserRegistered
// Applied in that order: rename fields, drop, defaults (only where absent),
// then the type and version change.
class DeclarativeUpcaster final : public Upcaster {
 public:
  DeclarativeUpcaster(std::string event_type, int from_version, int to_version,
                      std::map<std::string, std::string> rename_fields, Json defaults,
                      std::vector<std::string> drop, std::string rename_type);
  UpcasterSpec handles() const override { return {event_type_, from_version_}; }
  Status upcast(RecordedEvent& event) const override;

 private:
  std::string event_type_;
  int from_version_;
  int to_version_;
  std::map<std::string, std::string> rename_fields_;
  Json defaults_;
  std::vector<std::string> drop_;
  std::string rename_type_;
};

}  // namespace herald::gateway
