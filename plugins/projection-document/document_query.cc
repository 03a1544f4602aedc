// DocumentProjection::query: filter, search, sort and page over the documents.
//
// Orders that need no sort: id order (the map's) and the configured `sort`
// field (sort_index_). Lists in those orders without filters walk to the
// offset and copy the page; with filters or q= they scan in that order,
// counting matches. Sorting by any other field scans and partially sorts the
// matches. An `id` equality filter is one map lookup. There are no
// secondary indexes for filters or search: measured at 100,000 documents in
// bench/projection-apply (see README.md).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "document_projection.h"

namespace herald::plugins::document {

namespace {

struct Filter {
  FieldPath field;
  std::string value;
};

bool scalar_equals(const Json& v, const std::string& expected) {
  // The common types without building a string per document.
  switch (v.type()) {
    case Json::value_t::string: return v.get_ref<const std::string&>() == expected;
    case Json::value_t::boolean: return expected == (v.get<bool>() ? "true" : "false");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      char buf[24];
      auto [end, ec] = v.is_number_unsigned()
                           ? std::to_chars(buf, buf + sizeof buf, v.get<std::uint64_t>())
                           : std::to_chars(buf, buf + sizeof buf, v.get<std::int64_t>());
      return ec == std::errc() && std::string_view(buf, end - buf) == expected;
    }
    default: return string_form(v) == expected;
  }
}

// A list matches when any element's string form matches (like MongoDB), so
// ?order_ids=o1 finds the summaries whose order_ids hold "o1".
bool equals(const Json* v, const std::string& expected) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_array()) {
    return std::any_of(v->begin(), v->end(),
                       [&](const Json& item) { return scalar_equals(item, expected); });
  }
  return scalar_equals(*v, expected);
}

}  // namespace

Result<QueryPage> DocumentProjection::query(const Query& query) const {
  // A malformed field name ("a..b", from a URL) names a field no document
  // has: a filter on it matches nothing, and a sort by it is ignored (id
  // order). An error status would reach the client as a 500.
  std::vector<Filter> filters;
  for (const auto& [name, value] : query.equals) {
    std::string error;
    auto field = parse_field_path(name, &error);
    if (!field) return QueryPage{};
    filters.push_back({std::move(*field), value});
  }
  std::optional<FieldPath> sort = config_->sort;
  if (!query.sort.empty()) {
    std::string error;
    sort = parse_field_path(query.sort, &error);
  }
  if (sort && sort->is_id()) sort.reset();
  const std::string needle = fold_case(query.text);
  const bool spans_fields = needle.find(kSearchFieldSeparator) != std::string::npos;

  auto matches = [&](const Document& d) {
    for (const auto& f : filters) {
      if (!equals(find_field(d.body, f.field), f.value)) return false;
    }
    return needle.empty() || (!spans_fields && d.search_text.find(needle) != std::string::npos);
  };

  QueryPage page;
  std::shared_lock lock(mutex_);

  auto id_filter = query.equals.find("id");
  if (id_filter != query.equals.end()) {
    auto it = find_document(id_filter->second);
    if (it != documents_.end() && matches(it->second)) {
      page.total = 1;
      if (query.offset == 0 && query.limit > 0) page.items.push_back(it->second.body);
    }
    return page;
  }

  // Walks documents in an order that needs no sort: count the matches, copy
  // the page. Without filters every document matches, so the total is the
  // size and the walk stops at the end of the page.
  const bool everything = filters.empty() && needle.empty();
  const std::size_t page_end =
      query.limit > SIZE_MAX - query.offset ? SIZE_MAX : query.offset + query.limit;
  std::size_t seen = 0;
  auto visit = [&](const Document& d) {  // false: stop
    if (everything && seen >= page_end) return false;
    if (!everything && !matches(d)) return true;
    if (seen >= query.offset && seen < page_end) page.items.push_back(d.body);
    ++seen;
    return true;
  };
  auto walk = [&](auto begin, auto end, auto&& document_of) {
    for (auto it = begin; it != end; ++it) {
      if (!visit(document_of(*it))) return false;
    }
    return true;
  };
  auto finish = [&] {
    page.total = everything ? documents_.size() : seen;
    return page;
  };

  if (!sort) {
    // Map order is id order.
    auto doc = [](const Entry& e) -> const Document& { return e.second; };
    if (query.descending) {
      walk(documents_.rbegin(), documents_.rend(), doc);
    } else {
      walk(documents_.begin(), documents_.end(), doc);
    }
    return finish();
  }

  if (config_->sort && sort->text == config_->sort->text) {
    // The configured sort has an index. Descending reverses the documents
    // that have the field and then those that do not, so missing stays last.
    auto doc = [](const SortEntry& e) -> const Document& { return e.entry->second; };
    if (!query.descending) {
      walk(sort_index_.begin(), sort_index_.end(), doc);
    } else {
      auto missing = sort_index_.lower_bound(FirstMissing{});
      if (walk(std::make_reverse_iterator(missing), sort_index_.rend(), doc)) {
        walk(sort_index_.rbegin(), std::make_reverse_iterator(missing), doc);
      }
    }
    return finish();
  }

  struct Hit {
    const Json* key;  // null: missing (or null), sorted last either way
    const Entry* entry;
  };
  std::vector<Hit> hits;
  for (const auto& entry : documents_) {
    if (!everything && !matches(entry.second)) continue;
    const Json* key = find_field(entry.second.body, *sort);
    hits.push_back({key && !key->is_null() ? key : nullptr, &entry});
  }
  page.total = hits.size();
  if (query.offset >= hits.size() || query.limit == 0) return page;

  // The same order as the index: descending is ascending reversed, apart
  // from missing values, which stay last.
  const bool descending = query.descending;
  auto before = [descending](const Hit& a, const Hit& b) {
    if ((a.key == nullptr) != (b.key == nullptr)) return b.key == nullptr;
    if (a.key != nullptr) {
      int c = compare_values(*a.key, *b.key);
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    return descending ? a.entry->first > b.entry->first : a.entry->first < b.entry->first;
  };
  const std::size_t end = std::min(hits.size(), page_end);
  // Only the first `end` need to be in order.
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(),
                    before);
  for (std::size_t i = query.offset; i < end; ++i) page.items.push_back(hits[i].entry->second.body);
  return page;
}

}  // namespace herald::plugins::document
