#include "validation/schema_resources.h"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "validation/json_schema.h"
#include "validation/json_util.h"
#include "validation/uri_reference.h"

namespace herald::gateway::validation {
namespace {

// Keywords whose value holds subschemas. Values of other keywords (enum,
// const, unknown ones) are data, so an "$id" inside them identifies nothing.
constexpr std::string_view kSingleSchemaKeywords[] = {"additionalProperties",
                                                      "propertyNames",
                                                      "items",
                                                      "contains",
                                                      "not",
                                                      "if",
                                                      "then",
                                                      "else",
                                                      "unevaluatedItems",
                                                      "unevaluatedProperties",
                                                      "contentSchema"};
constexpr std::string_view kSchemaArrayKeywords[] = {"prefixItems", "allOf", "anyOf", "oneOf"};
constexpr std::string_view kSchemaMapKeywords[] = {"properties", "patternProperties", "$defs",
                                                   "definitions", "dependentSchemas"};

bool is_one_of(const auto& names, std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// The value at a JSON pointer, or null when there is none.
const Json* navigate(const Json& root, const std::string& pointer) {
  const Json* current = &root;
  std::size_t pos = 0;
  while (pos < pointer.size()) {
    if (pointer[pos] != '/') return nullptr;
    std::size_t end = pointer.find('/', pos + 1);
    if (end == std::string::npos) end = pointer.size();
    const std::string token = unescape_pointer_token(pointer.substr(pos + 1, end - pos - 1));
    if (current->is_object()) {
      auto it = current->find(token);
      if (it == current->end()) return nullptr;
      current = &*it;
    } else if (current->is_array()) {
      if (token.empty() || token.size() > 9 ||
          token.find_first_not_of("0123456789") != std::string::npos ||
          (token.size() > 1 && token[0] == '0')) {
        return nullptr;
      }
      const std::size_t index = std::stoul(token);
      if (index >= current->size()) return nullptr;
      current = &(*current)[index];
    } else {
      return nullptr;
    }
    pos = end;
  }
  return current;
}

}  // namespace

SchemaResources::SchemaResources(const Json& root) : root_(root) {
  scan(root_, "", kDefaultBase);
  resources_.emplace(kDefaultBase, "");
}

std::string SchemaResources::base_of(const Json& schema, const std::string& pointer,
                                     const std::string& parent_base) const {
  if (auto found = bases_.find(pointer); found != bases_.end()) return found->second;
  if (!schema.is_object()) return parent_base;
  auto id = schema.find("$id");
  if (id == schema.end()) return parent_base;
  if (!id->is_string()) throw SchemaError(child_pointer(pointer, "$id"), "$id must be a string");
  // A fragment in "$id" ("#" or a draft-7 style anchor) names no resource.
  return split_fragment(resolve_uri(parent_base, id->get<std::string>())).first;
}

void SchemaResources::scan(const Json& schema, const std::string& pointer,
                           const std::string& parent_base) {
  if (!schema.is_object()) return;
  const std::string base = base_of(schema, pointer, parent_base);
  bases_.emplace(pointer, base);
  if (schema.contains("$id")) resources_.emplace(base, pointer);
  // A $dynamicAnchor is also a plain anchor for $ref.
  for (const char* keyword : {"$anchor", "$dynamicAnchor"}) {
    auto anchor = schema.find(keyword);
    if (anchor == schema.end()) continue;
    if (!anchor->is_string()) {
      throw SchemaError(child_pointer(pointer, keyword),
                        std::string(keyword) + " must be a string");
    }
    anchors_.emplace(base + "#" + anchor->get<std::string>(), pointer);
  }
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    const std::string& key = it.key();
    const std::string at = child_pointer(pointer, key);
    if (is_one_of(kSingleSchemaKeywords, key)) {
      scan(it.value(), at, base);
    } else if (is_one_of(kSchemaArrayKeywords, key) && it.value().is_array()) {
      for (std::size_t i = 0; i < it.value().size(); ++i) {
        scan(it.value()[i], at + "/" + std::to_string(i), base);
      }
    } else if (is_one_of(kSchemaMapKeywords, key) && it.value().is_object()) {
      for (auto entry = it.value().begin(); entry != it.value().end(); ++entry) {
        scan(entry.value(), child_pointer(at, entry.key()), base);
      }
    }
  }
}

SchemaResources::Target SchemaResources::resolve(const std::string& ref, const std::string& base,
                                                 const std::string& where) const {
  const auto [document, raw_fragment] = split_fragment(resolve_uri(base, ref));
  auto resource = resources_.find(document);
  if (resource == resources_.end()) {
    throw SchemaError(where, "$ref \"" + ref +
                                 "\" points to another document; only references inside the "
                                 "same schema are supported");
  }
  const std::string fragment = percent_decode(raw_fragment);
  std::string target;
  if (fragment.empty() || fragment[0] == '/') {
    target = resource->second + fragment;
  } else {
    auto anchor = anchors_.find(document + "#" + fragment);
    if (anchor == anchors_.end()) {
      throw SchemaError(where, "$ref \"" + ref + "\" names no \"$anchor\" of the schema");
    }
    target = anchor->second;
  }
  const Json* schema = navigate(root_, target);
  if (schema == nullptr) {
    throw SchemaError(
        where, "$ref \"" + ref + "\" points to nothing: the schema has no \"" + target + "\"");
  }
  return {target, schema, base_above(target)};
}

// The base URI around the value at `pointer`: that of the nearest schema
// above it that the scan saw (a $ref may point into an unknown keyword).
std::string SchemaResources::base_above(std::string pointer) const {
  while (!pointer.empty()) {
    pointer.resize(pointer.rfind('/'));
    if (auto found = bases_.find(pointer); found != bases_.end()) return found->second;
  }
  return bases_.count("") ? bases_.at("") : kDefaultBase;
}

}  // namespace herald::gateway::validation
