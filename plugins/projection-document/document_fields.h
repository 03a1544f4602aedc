// Fields of a document: dotted paths into nested objects, and the two ways a
// query looks at a field's value (its string form and its sort order).
//
// Pure functions on values; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/event.h"

namespace herald::plugins::document {

// "address.city" names doc["address"]["city"]. Keys that contain a '.' cannot
// be named; the read model's own fields are chosen by its config, so that is
// a restriction on the config, never on event data.
struct FieldPath {
  std::string text;                   // as written
  std::vector<std::string> segments;  // never empty, no empty segment

  bool is_id() const { return segments.size() == 1 && segments.front() == "id"; }
};

// Parses a dotted path. On a malformed one returns nullopt and says why in
// *error.
std::optional<FieldPath> parse_field_path(std::string_view text, std::string* error);

// The field's value; null when any step is missing or not an object.
const Json* find_field(const Json& doc, const FieldPath& path);
Json* find_field(Json& doc, const FieldPath& path);

// The object that holds the path's last segment, creating missing objects on
// the way. Null when a step exists but is not an object: the caller leaves
// the field alone rather than overwrite data it did not name.
Json* parent_for_write(Json& doc, const FieldPath& path);

// Removes the field if present; true when something was removed.
bool erase_field(Json& doc, const FieldPath& path);

// How a value reads in an equality filter (`equals`, `?field=value`):
//   string         itself, unchanged
//   integer        decimal, e.g. 42, -7
//   float          a whole value below 2^53 as an integer (20.0 -> "20"),
//                  otherwise the shortest text that reads back the same
//                  (19.99 -> "19.99", 1e+300 -> "1e+300")
//   boolean        true / false
//   null           null
//   object, list   compact JSON (a list is matched element by element by
//                  the query, so this form is rarely seen)
std::string string_form(const Json& value);

// Lower case for search and sort: ASCII, and the upper-case letters of
// Latin-1, Latin Extended-A, Greek and Cyrillic (É → é, Ł → ł, Ω → ω,
// Д → д). Other characters, and bytes that are not UTF-8, stay as they are.
// No normalization: a decomposed "e" + U+0301 does not meet a precomposed é.
std::string fold_case(std::string_view text);

// The order of the `sort` option: booleans < numbers < strings < lists <
// objects; numbers by value (integers exactly), strings case-insensitively
// (ASCII) with byte order breaking ties, booleans false < true, lists and
// objects by their JSON text. Null never reaches here: the query treats it
// as missing. Returns <0, 0, >0.
int compare_values(const Json& a, const Json& b);

// A value prepared for many comparisons in the order of compare_values, with
// missing (or null) values after everything else: the sort index keeps one
// per document so that inserting compares folded strings with memcmp instead
// of folding them again at every step.
struct SortKey {
  enum Rank { kBool, kNumber, kString, kList, kObject, kMissing };
  Rank rank = kMissing;
  long double number = 0;  // kBool (0, 1), kNumber
  std::string text;        // kString: ASCII-folded; kList, kObject: JSON text
  std::string exact;       // kString: as it is, breaking ties

  bool operator==(const SortKey&) const = default;
};

// `value` may be null (missing).
SortKey make_sort_key(const Json* value);
int compare_sort_keys(const SortKey& a, const SortKey& b);

}  // namespace herald::plugins::document
