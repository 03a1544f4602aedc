#include "core/upcasting.h"

#include <stdexcept>

namespace herald::gateway {

void UpcasterChain::add(std::shared_ptr<const Upcaster> upcaster) {
  UpcasterSpec spec = upcaster->handles();
  auto key = std::make_pair(spec.event_type, spec.from_version);
  if (by_key_.count(key)) {
    throw std::invalid_argument("two upcasters take " + spec.event_type + " v" +
                                std::to_string(spec.from_version));
  }
  by_key_.emplace(std::move(key), std::move(upcaster));
}

Status UpcasterChain::upcast(RecordedEvent& event) const {
  if (by_key_.empty()) return Status::ok();
  // Bounded: each step must raise the version, so a chain cannot loop.
  for (int step = 0; step < 1000; ++step) {
    auto it = by_key_.find({event.type, event.schema_version});
    if (it == by_key_.end()) return Status::ok();
    const int before = event.schema_version;
    const std::string type = event.type;
    Status s = it->second->upcast(event);
    if (!s.is_ok()) {
      return Status::failed("upcasting " + type + " v" + std::to_string(before) + " (event " +
                            event.id + ") failed: " + s.message());
    }
    if (event.schema_version <= before) {
      return Status::failed("the upcaster of " + type + " v" + std::to_string(before) +
                            " did not raise the schema version");
    }
  }
  return Status::failed("upcaster chain of " + event.type + " is too long");
}

std::set<std::string> UpcasterChain::event_types() const {
  std::set<std::string> out;
  for (const auto& [key, upcaster] : by_key_) out.insert(key.first);
  return out;
}

Status UpcasterChain::upcast(std::vector<RecordedEvent>& events) const {
  if (by_key_.empty()) return Status::ok();
  for (auto& e : events) {
    if (Status s = upcast(e); !s.is_ok()) return s;
  }
  return Status::ok();
}

DeclarativeUpcaster::DeclarativeUpcaster(std::string event_type, int from_version, int to_version,
                                         std::map<std::string, std::string> rename_fields,
                                         Json defaults, std::vector<std::string> drop,
                                         std::string rename_type)
    : event_type_(std::move(event_type)),
      from_version_(from_version),
      to_version_(to_version),
      rename_fields_(std::move(rename_fields)),
      defaults_(std::move(defaults)),
      drop_(std::move(drop)),
      rename_type_(std::move(rename_type)) {}

Status DeclarativeUpcaster::upcast(RecordedEvent& event) const {
  if (!event.data.is_object()) return Status::failed("event data is not an object");
  Json& d = event.data;
  for (const auto& [from, to] : rename_fields_) {
    auto it = d.find(from);
    if (it == d.end()) continue;
    Json value = std::move(*it);
    d.erase(from);
    d[to] = std::move(value);
  }
  for (const auto& field : drop_) d.erase(field);
  if (defaults_.is_object()) {
    for (auto it = defaults_.begin(); it != defaults_.end(); ++it) {
      if (!d.contains(it.key())) d[it.key()] = it.value();
    }
  }
  if (!rename_type_.empty()) event.type = rename_type_;
  event.schema_version = to_version_;
  return Status::ok();
}

}  // namespace herald::gateway
