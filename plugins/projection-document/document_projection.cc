#include "document_projection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <shared_mutex>

#include "herald/json_number.h"

namespace herald::plugins::document {

namespace {

// Logged warnings: the first kWarnFirst, then one in kWarnEvery, so a stream
// of odd events is visible without flooding the log.
constexpr std::uint64_t kWarnFirst = 20;
constexpr std::uint64_t kWarnEvery = 10000;

std::optional<std::string> id_of(const Json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    return s;
  }
  if (value.is_number_integer()) return string_form(value);
  return std::nullopt;
}

void append_search_value(const Json& v, std::string& out) {
  if (v.is_string()) {
    out += fold_case(v.get_ref<const std::string&>());
    out += kSearchFieldSeparator;
  } else if (v.is_number()) {
    out += string_form(v);
    out += kSearchFieldSeparator;
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (item.is_string() || item.is_number()) append_search_value(item, out);
    }
  }
}

}  // namespace

DocumentProjection::DocumentProjection(std::shared_ptr<const DocumentConfig> config,
                                       std::shared_ptr<spdlog::logger> logger)
    : config_(std::move(config)), logger_(logger ? std::move(logger) : spdlog::default_logger()) {}

Status DocumentProjection::apply(const RecordedEvent& event) {
  if (event.position <= position()) {
    std::unique_lock lock(mutex_);
    ++stats_.duplicates;
    return Status::ok();
  }
  try {
    const Rule* rule = config_->rule_for(event.type);
    if (rule == nullptr) {
      std::unique_lock lock(mutex_);
      ++stats_.unhandled;
      position_.store(event.position, std::memory_order_release);
      return Status::ok();
    }
    const ValueExpr& id_expr = rule->id ? *rule->id : config_->id;
    std::optional<Json> id_value = id_expr.evaluate(event);
    std::optional<std::string> id = id_value ? id_of(*id_value) : std::nullopt;

    std::unique_lock lock(mutex_);
    if (!id) {
      ++stats_.skipped;
      warn(event,
           id_value
               ? "the document id is not a non-empty string or an integer: " + id_value->dump()
               : "the event has no document id (" +
                     (id_expr.reference() ? id_expr.reference()->text() : std::string("constant")) +
                     " is missing)");
    } else if (rule->delete_document) {
      auto it = find_document(*id);
      if (it != documents_.end()) {
        if (config_->sort) sort_index_.erase(it->second.sort_position);
        remove_document(it);
      }
      ++stats_.applied;
    } else {
      auto it = find_document(*id);
      const bool existed = it != documents_.end();
      if (!existed && !rule->upsert) {
        ++stats_.skipped;
      } else {
        if (!existed) {
          Json body = Json::object();
          body["id"] = *id;
          it = add_document(std::move(*id), std::move(body));
        }
        Document& d = it->second;
        try {
          apply_rule(*rule, event, d.body);
        } catch (...) {
          // Not yet in the sort index: a half-made document must not stay.
          if (!existed) remove_document(it);
          throw;
        }
        // `merge` may have copied an "id" from the event; the key is the id.
        if (rule->merge) d.body["id"] = it->first;
        if (!existed || rule->touches_search) d.search_text = search_text_of(d.body);
        if (config_->sort && (!existed || rule->touches_sort)) {
          SortKey key = sort_key_of(d.body);
          // The index entry's copy of the key tells whether the field moved.
          if (!existed) {
            d.sort_position = sort_index_.insert(SortEntry{std::move(key), &*it}).first;
          } else if (d.sort_position->key != key) {
            // The entry's node moves to its new place rather than being
            // freed and made anew.
            auto node = sort_index_.extract(d.sort_position);
            node.value().key = std::move(key);
            d.sort_position = sort_index_.insert(std::move(node)).position;
          }
        }
        ++stats_.applied;
      }
    }
    position_.store(event.position, std::memory_order_release);
    return Status::ok();
  } catch (const std::exception& e) {
    // Only a bug or memory exhaustion gets here; the subscription stops and
    // reports where rather than skip the event silently.
    return Status::failed("document projection: event " + event.id + " at position " +
                          std::to_string(event.position) + ": " + e.what());
  }
}

void DocumentProjection::apply_rule(const Rule& rule, const RecordedEvent& event, Json& body) {
  if (rule.merge) {
    if (auto source = rule.merge->resolve(event)) {
      if (source->is_object()) {
        for (auto& [key, value] : source->items()) body[key] = std::move(value);
      } else {
        warn(event, "merge: " + rule.merge->text() + " is not an object");
      }
    }
  }
  for (const auto& a : rule.set) {
    auto value = a.value.evaluate(event);
    if (!value) continue;  // missing in the event: leave the field as it is
    if (Json* parent = parent_for_write(body, a.field)) {
      (*parent)[a.field.segments.back()] = std::move(*value);
    } else {
      warn(event, "set: a parent of '" + a.field.text + "' is not an object");
    }
  }
  for (const auto& a : rule.increment) add_number(a, event, body, false);
  for (const auto& a : rule.decrement) add_number(a, event, body, true);
  for (const auto& a : rule.append) {
    auto value = a.value.evaluate(event);
    if (!value) continue;
    Json* parent = parent_for_write(body, a.field);
    if (parent == nullptr) {
      warn(event, "append: a parent of '" + a.field.text + "' is not an object");
      continue;
    }
    Json& list = (*parent)[a.field.segments.back()];
    if (list.is_null()) list = Json::array();
    if (list.is_array()) {
      list.push_back(std::move(*value));
    } else {
      warn(event, "append: '" + a.field.text + "' is not a list");
    }
  }
  for (const auto& a : rule.pull) {
    auto value = a.value.evaluate(event);
    if (!value) continue;
    Json* list = find_field(body, a.field);
    if (list == nullptr || list->is_null()) continue;
    if (!list->is_array()) {
      warn(event, "pull: '" + a.field.text + "' is not a list");
      continue;
    }
    auto& items = list->get_ref<Json::array_t&>();
    // Numbers compare exactly (compare_values): nlohmann's == casts an
    // unsigned to int64 against a signed one, so pulling -1 removed
    // 18446744073709551615, and 2^53 + 1 equalled the float 2^53.
    const bool number = value->is_number();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const Json& item) {
                                 return number && item.is_number()
                                            ? compare_values(item, *value) == 0
                                            : item == *value;
                               }),
                items.end());
  }
  for (const auto& f : rule.remove) erase_field(body, f);
}

void DocumentProjection::add_number(const Assignment& a, const RecordedEvent& event, Json& body,
                                    bool subtract) {
  const char* op = subtract ? "decrement" : "increment";
  auto delta = a.value.evaluate(event);
  if (!delta) return;
  if (!delta->is_number()) {
    warn(event, std::string(op) + ": " + a.field.text + " by " + delta->dump() +
                    ", which is not a number");
    return;
  }
  Json* parent = parent_for_write(body, a.field);
  if (parent == nullptr) {
    warn(event, std::string(op) + ": a parent of '" + a.field.text + "' is not an object");
    return;
  }
  Json& current = (*parent)[a.field.segments.back()];
  if (current.is_null()) current = 0;
  if (!current.is_number()) {
    warn(event, std::string(op) + ": '" + a.field.text + "' holds " + current.dump() +
                    ", which is not a number");
    return;
  }
  Json sum = add_numbers(current, *delta, subtract);
  // Beyond a double (1e308 + 1e308): an infinity would be served as null.
  if (sum.is_number_float() && !std::isfinite(sum.get<double>())) {
    warn(event, std::string(op) + ": '" + a.field.text + "' by " + delta->dump() +
                    " is beyond a double; left as it is");
    return;
  }
  current = std::move(sum);
}

bool DocumentProjection::SortLess::operator()(const SortEntry& a, const SortEntry& b) const {
  int c = compare_sort_keys(a.key, b.key);
  return c != 0 ? c < 0 : a.entry->first < b.entry->first;
}

SortKey DocumentProjection::sort_key_of(const Json& body) const {
  return make_sort_key(find_field(body, *config_->sort));
}

std::string DocumentProjection::search_text_of(const Json& body) const {
  std::string out;
  if (config_->search.empty()) {
    for (const auto& [key, value] : body.items()) {
      if (value.is_string()) append_search_value(value, out);
    }
  } else {
    for (const auto& f : config_->search) {
      if (const Json* v = find_field(body, f)) append_search_value(*v, out);
    }
  }
  return out;
}

void DocumentProjection::warn(const RecordedEvent& event, const std::string& what) {
  std::uint64_t n = ++stats_.warnings;
  if (n <= kWarnFirst || n % kWarnEvery == 0) {
    logger_->warn("{} event {} (position {}, stream {}): {} ({} such warnings so far)", event.type,
                  event.id, event.position, event.stream.key(), what, n);
  }
}

DocumentProjection::Documents::iterator DocumentProjection::find_document(std::string_view id) {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? documents_.end() : found->second;
}

DocumentProjection::Documents::const_iterator DocumentProjection::find_document(
    std::string_view id) const {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? documents_.cend() : Documents::const_iterator(found->second);
}

DocumentProjection::Documents::iterator DocumentProjection::add_document(std::string id,
                                                                         Json body) {
  auto it = documents_.emplace(std::move(id), Document{std::move(body), {}, {}}).first;
  try {
    by_id_.emplace(it->first, it);
  } catch (...) {
    documents_.erase(it);
    throw;
  }
  return it;
}

void DocumentProjection::remove_document(Documents::iterator it) {
  by_id_.erase(it->first);
  documents_.erase(it);
}

Result<std::optional<Json>> DocumentProjection::get(const std::string& id) const {
  std::shared_lock lock(mutex_);
  auto it = find_document(id);
  if (it == documents_.end()) return std::optional<Json>();
  return std::optional<Json>(it->second.body);
}

std::size_t DocumentProjection::size() const {
  std::shared_lock lock(mutex_);
  return documents_.size();
}

DocumentStats DocumentProjection::stats() const {
  std::shared_lock lock(mutex_);
  return stats_;
}

}  // namespace herald::plugins::document
