// DocumentProjection::query: filter, search, sort and page over the documents.
//
// A query scans every document under a shared lock (no secondary indexes):
// measured at ~100,000 documents in bench/projection-apply (see README.md).
// Two cases avoid the scan's sort: the default order (by id) walks the map in
// key order and copies only the page, and an `id` equality filter is one map
// lookup.
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "document_projection.h"

namespace herald::plugins::document {

namespace {

struct Filter {
  FieldPath field;
  std::string value;
};

// A list matches when any element's string form matches (like MongoDB), so
// ?order_ids=o1 finds the summaries whose order_ids hold "o1".
bool equals(const Json* v, const std::string& expected) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_array()) {
    return std::any_of(v->begin(), v->end(),
                       [&](const Json& item) { return string_form(item) == expected; });
  }
  if (v->is_string()) return v->get_ref<const std::string&>() == expected;
  return string_form(*v) == expected;
}

}  // namespace

Result<QueryPage> DocumentProjection::query(const Query& query) const {
  std::vector<Filter> filters;
  for (const auto& [name, value] : query.equals) {
    std::string error;
    auto field = parse_field_path(name, &error);
    if (!field) return Status::failed("filter '" + name + "': " + error);
    filters.push_back({std::move(*field), value});
  }
  std::optional<FieldPath> sort = config_->sort;
  if (!query.sort.empty()) {
    std::string error;
    sort = parse_field_path(query.sort, &error);
    if (!sort) return Status::failed("sort '" + query.sort + "': " + error);
  }
  if (sort && sort->is_id()) sort.reset();
  const std::string needle = ascii_lower(query.text);

  auto matches = [&](const Document& d) {
    for (const auto& f : filters) {
      if (!equals(find_field(d.body, f.field), f.value)) return false;
    }
    return needle.empty() || d.search_text.find(needle) != std::string::npos;
  };

  QueryPage page;
  std::shared_lock lock(mutex_);

  auto id_filter = query.equals.find("id");
  if (id_filter != query.equals.end()) {
    auto it = documents_.find(id_filter->second);
    if (it != documents_.end() && matches(it->second)) {
      page.total = 1;
      if (query.offset == 0 && query.limit > 0) page.items.push_back(it->second.body);
    }
    return page;
  }

  if (!sort) {
    // Map order is id order: count every match, copy only the page.
    auto visit = [&](const Document& d) {
      if (!matches(d)) return;
      if (page.total >= query.offset && page.items.size() < query.limit) {
        page.items.push_back(d.body);
      }
      ++page.total;
    };
    if (query.descending) {
      for (auto it = documents_.rbegin(); it != documents_.rend(); ++it) visit(it->second);
    } else {
      for (const auto& [id, d] : documents_) visit(d);
    }
    return page;
  }

  struct Hit {
    const Json* key;  // null: missing (or null), sorted last either way
    const Documents::value_type* entry;
  };
  std::vector<Hit> hits;
  for (const auto& entry : documents_) {
    if (!matches(entry.second)) continue;
    const Json* key = find_field(entry.second.body, *sort);
    hits.push_back({key && !key->is_null() ? key : nullptr, &entry});
  }
  page.total = hits.size();
  if (query.offset >= hits.size() || query.limit == 0) return page;

  const bool descending = query.descending;
  auto before = [descending](const Hit& a, const Hit& b) {
    if ((a.key == nullptr) != (b.key == nullptr)) return b.key == nullptr;
    if (a.key != nullptr) {
      int c = compare_values(*a.key, *b.key);
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    // Ties by id, ascending in both directions, so pages never overlap.
    return a.entry->first < b.entry->first;
  };
  const std::size_t end = std::min(hits.size(), query.offset + std::min(query.limit, hits.size()));
  // Only the first `end` need to be in order.
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(),
                    before);
  for (std::size_t i = query.offset; i < end; ++i) page.items.push_back(hits[i].entry->second.body);
  return page;
}

}  // namespace herald::plugins::document
