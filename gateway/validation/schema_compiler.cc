#include "validation/schema_compiler.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <unordered_map>

#include "validation/formats.h"
#include "validation/json_util.h"
#include "validation/keyword_checks.h"
#include "validation/schema_resources.h"

namespace herald::gateway::validation {
namespace {

// Constant tables are constexpr arrays rather than hash maps: a schema may be
// compiled during static initialisation of another file, and these sets are
// small enough that a scan costs nothing.
//
// Keywords of draft 2020-12 this validator does not implement. Ignoring them
// would accept payloads the schema's author meant to refuse, so they are
// refused at start-up instead.
constexpr std::pair<std::string_view, std::string_view> kUnsupportedKeywords[] = {
    {"$dynamicRef", "use \"$ref\""},
    {"$recursiveRef", "use \"$ref\""},
    {"unevaluatedProperties", "use \"additionalProperties\""},
    {"unevaluatedItems", "use \"items\""},
    // Draft 7's, split in 2019-09; ignored, {"dependencies": {"card": ["cvv"]}}
    // would enforce nothing.
    {"dependencies", "use \"dependentRequired\" or \"dependentSchemas\""},
};

struct Format {
  std::string_view name;
  FormatCheck::Predicate predicate;
  std::string_view what;  // completes `"x" is not a valid ...`
};

constexpr Format kFormats[] = {
    {"email", &is_email, "email address"},
    {"uuid", &is_uuid, "UUID"},
    {"date-time", &is_date_time, "RFC 3339 date-time"},
    {"date", &is_date, "date (YYYY-MM-DD)"},
    {"uri", &is_uri, "URI"},
    {"ipv4", &is_ipv4, "IPv4 address"},
    {"ipv6", &is_ipv6, "IPv6 address"},
    {"hostname", &is_hostname, "host name"},
};

constexpr std::pair<std::string_view, unsigned> kTypeNames[] = {
    {"null", kTypeNull},     {"boolean", kTypeBoolean}, {"integer", kTypeInteger},
    {"number", kTypeNumber}, {"string", kTypeString},   {"array", kTypeArray},
    {"object", kTypeObject},
};

// libstdc++'s default regex executor backtracks recursively: one stack frame
// chain per input character (a 100 kB string overflows an 8 MB stack) and
// exponential time on patterns like "(a+)+$". Its polynomial mode runs the
// same ECMAScript grammar as a Thompson simulation, in linear time and fixed
// stack, at about twice the cost on short strings; it refuses
// back-references, which schemas hardly use. Payloads are untrusted, so the
// safe executor wins.
#if defined(__GLIBCXX__)
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto kRegexFlags = std::regex::ECMAScript;
#endif

class Compiler {
 public:
  Compiler(const Json& root, CompiledDocument& document)
      : root_(root), document_(document), resources_(root) {}

  void run() {
    document_.root = compile(root_, "", SchemaResources::kDefaultBase);
    refuse_in_place_cycles();
  }

 private:
  // ---- compiling -----------------------------------------------------------

  Node* compile(const Json& schema, const std::string& pointer, const std::string& parent_base) {
    if (auto found = compiled_.find(pointer); found != compiled_.end()) return found->second;
    document_.nodes.push_back(std::make_unique<Node>(pointer));
    Node* node = document_.nodes.back().get();
    // Registered before its keywords compile, so a $ref back to it (directly
    // or through others) finds it instead of compiling forever.
    compiled_.emplace(pointer, node);
    if (schema.is_boolean()) {
      node->set_boolean(schema.get<bool>());
      return node;
    }
    if (!schema.is_object()) {
      throw SchemaError(pointer, "a schema must be an object or a boolean, got " +
                                     std::string(type_name(schema)));
    }
    compile_keywords(*node, schema, pointer, resources_.base_of(schema, pointer, parent_base));
    return node;
  }

  Node* subschema(const Json& schema, const std::string& pointer, const std::string& base) {
    return compile(schema, pointer, base);
  }

  std::vector<const Node*> schema_array(const Json& value, const std::string& pointer,
                                        const std::string& base, const char* keyword) {
    if (!value.is_array() || value.empty()) {
      throw SchemaError(pointer, std::string(keyword) + " must be a non-empty array of schemas");
    }
    std::vector<const Node*> nodes;
    for (std::size_t i = 0; i < value.size(); ++i) {
      nodes.push_back(subschema(value[i], pointer + "/" + std::to_string(i), base));
    }
    return nodes;
  }

  static const Json* find(const Json& schema, const char* keyword) {
    auto it = schema.find(keyword);
    return it == schema.end() ? nullptr : &*it;
  }

  static std::size_t count_value(const Json& value, const std::string& pointer,
                                 const char* keyword) {
    if (value.is_number() && std::isnan(value.get<double>())) {
      throw SchemaError(pointer, std::string(keyword) + " must be a non-negative integer, not NaN");
    }
    // 1e20 (or .inf from YAML) does not fit a size_t, and converting it
    // anyway is undefined (it gave 0: every string too long): no string or
    // list is that long, so the largest count says the same.
    if (value.is_number_float() && value.get<double>() >= 18446744073709551616.0) {
      return std::numeric_limits<std::size_t>::max();
    }
    if (!value.is_number() || !is_integral(value) || value.get<double>() < 0) {
      throw SchemaError(
          pointer, std::string(keyword) + " must be a non-negative integer, got " + preview(value));
    }
    if (value.is_number_float()) return static_cast<std::size_t>(value.get<double>());
    return value.get<std::size_t>();
  }

  // A regex that regex_match()es exactly the strings in which `source`
  // can be found. regex_search restarts its (linear) simulation at every
  // offset: O(n^2) on a long string that an unanchored pattern ("\d+$")
  // keeps alive to the end, 10^11 steps for a 1 MiB body. "[\s\S]*(?:P)
  // [\s\S]*" is one pass. `source` compiles alone first, so that the
  // wrapping cannot make a malformed pattern ("a)(b") valid.
  static std::regex compile_regex(const std::string& source, const std::string& pointer) {
    try {
      std::regex alone(source, kRegexFlags);
      return std::regex("[\\s\\S]*(?:" + source + ")[\\s\\S]*", kRegexFlags);
    } catch (const std::regex_error& e) {
      throw SchemaError(
          pointer,
          "\"" + source + "\" is not a regular expression herald supports (" + e.what() + ")");
    }
  }

  void compile_keywords(Node& node, const Json& schema, const std::string& pointer,
                        const std::string& base) {
    for (const auto& [keyword, hint] : kUnsupportedKeywords) {
      if (schema.contains(std::string(keyword))) {
        throw SchemaError(child_pointer(pointer, keyword),
                          std::string(keyword) + " is not supported; " + std::string(hint));
      }
    }
    auto at = [&](std::string_view keyword) { return child_pointer(pointer, keyword); };

    // Definitions compile even when nothing refers to them, so a mistake in
    // one shows at start-up rather than never.
    for (const char* defs_keyword : {"$defs", "definitions"}) {
      if (const Json* defs = find(schema, defs_keyword)) {
        if (!defs->is_object()) {
          throw SchemaError(at(defs_keyword), std::string(defs_keyword) + " must be an object");
        }
        for (auto it = defs->begin(); it != defs->end(); ++it) {
          subschema(it.value(), child_pointer(at(defs_keyword), it.key()), base);
        }
      }
    }

    // The order below is the order of errors: the shape of the value first,
    // then its contents, then the combinators.
    if (const Json* ref = find(schema, "$ref")) {
      if (!ref->is_string()) throw SchemaError(at("$ref"), "$ref must be a string");
      node.add(std::make_unique<RefCheck>(at("$ref"),
                                          resolve_ref(ref->get<std::string>(), base, at("$ref"))));
    }
    if (const Json* type = find(schema, "type")) compile_type(node, *type, at("type"));
    if (const Json* values = find(schema, "enum")) {
      if (!values->is_array()) throw SchemaError(at("enum"), "enum must be an array");
      node.add(std::make_unique<EnumCheck>(at("enum"),
                                           std::vector<Json>(values->begin(), values->end())));
    }
    if (const Json* value = find(schema, "const")) {
      node.add(std::make_unique<ConstCheck>(at("const"), *value));
    }
    compile_numbers(node, schema, pointer);
    compile_strings(node, schema, pointer);
    compile_arrays(node, schema, pointer, base);
    compile_objects(node, schema, pointer, base);

    if (const Json* all = find(schema, "allOf")) {
      node.add(std::make_unique<AllOfCheck>(at("allOf"),
                                            schema_array(*all, at("allOf"), base, "allOf")));
    }
    if (const Json* any = find(schema, "anyOf")) {
      node.add(std::make_unique<AnyOfCheck>(at("anyOf"),
                                            schema_array(*any, at("anyOf"), base, "anyOf")));
    }
    if (const Json* one = find(schema, "oneOf")) {
      node.add(std::make_unique<OneOfCheck>(at("oneOf"),
                                            schema_array(*one, at("oneOf"), base, "oneOf")));
    }
    if (const Json* negated = find(schema, "not")) {
      node.add(std::make_unique<NotCheck>(at("not"), subschema(*negated, at("not"), base)));
    }
    const Json* then_schema = find(schema, "then");
    const Json* else_schema = find(schema, "else");
    const Node* then_node = then_schema ? subschema(*then_schema, at("then"), base) : nullptr;
    const Node* else_node = else_schema ? subschema(*else_schema, at("else"), base) : nullptr;
    if (const Json* if_schema = find(schema, "if")) {
      const Node* if_node = subschema(*if_schema, at("if"), base);
      if (then_node != nullptr || else_node != nullptr) {
        node.add(std::make_unique<IfThenElseCheck>(at("if"), if_node, then_node, else_node));
      }
    }
  }

  void compile_type(Node& node, const Json& type, const std::string& pointer) {
    std::vector<std::string> names;
    if (type.is_string()) {
      names.push_back(type.get<std::string>());
    } else if (type.is_array() && !type.empty()) {
      for (const Json& name : type) {
        if (!name.is_string()) throw SchemaError(pointer, "type names must be strings");
        names.push_back(name.get<std::string>());
      }
    } else {
      throw SchemaError(pointer, "type must be a type name or a non-empty array of them");
    }
    unsigned allowed = 0;
    for (const std::string& name : names) {
      auto bit = std::find_if(std::begin(kTypeNames), std::end(kTypeNames),
                              [&](const auto& entry) { return entry.first == name; });
      if (bit == std::end(kTypeNames)) {
        throw SchemaError(pointer, "unknown type \"" + name +
                                       "\"; the types are null, boolean, integer, number, "
                                       "string, array and object");
      }
      allowed |= bit->second;
    }
    node.add(std::make_unique<TypeCheck>(pointer, allowed, std::move(names)));
  }

  void compile_numbers(Node& node, const Json& schema, const std::string& pointer) {
    static constexpr std::pair<const char*, Bound> kBounds[] = {
        {"minimum", Bound::kMinimum},
        {"exclusiveMinimum", Bound::kExclusiveMinimum},
        {"maximum", Bound::kMaximum},
        {"exclusiveMaximum", Bound::kExclusiveMaximum},
    };
    for (const auto& [keyword, bound] : kBounds) {
      if (const Json* limit = find(schema, keyword)) {
        const std::string at = child_pointer(pointer, keyword);
        // NaN and infinities come from YAML (.nan, .inf): NaN compares
        // false with everything, so `maximum: .nan` would let all pass.
        if (!limit->is_number()) {
          throw SchemaError(at, std::string(keyword) + " must be a number, got " + preview(*limit));
        }
        if (!std::isfinite(limit->get<double>())) {
          throw SchemaError(at, std::string(keyword) +
                                    " must be a finite number, not NaN or an "
                                    "infinity");
        }
        node.add(std::make_unique<NumberBoundCheck>(keyword, at, bound, *limit));
      }
    }
    if (const Json* divisor = find(schema, "multipleOf")) {
      const std::string at = child_pointer(pointer, "multipleOf");
      if (!divisor->is_number() || !(divisor->get<double>() > 0) ||
          !std::isfinite(divisor->get<double>())) {
        throw SchemaError(
            at, "multipleOf must be a finite number greater than 0, got " + preview(*divisor));
      }
      node.add(std::make_unique<MultipleOfCheck>(at, *divisor));
    }
  }

  void compile_strings(Node& node, const Json& schema, const std::string& pointer) {
    for (const char* keyword : {"minLength", "maxLength"}) {
      if (const Json* limit = find(schema, keyword)) {
        const std::string at = child_pointer(pointer, keyword);
        node.add(
            std::make_unique<LengthCheck>(at, keyword[1] == 'i', count_value(*limit, at, keyword)));
      }
    }
    if (const Json* pattern = find(schema, "pattern")) {
      const std::string at = child_pointer(pointer, "pattern");
      if (!pattern->is_string()) throw SchemaError(at, "pattern must be a string");
      const std::string& source = pattern->get_ref<const std::string&>();
      node.add(std::make_unique<PatternCheck>(at, source, compile_regex(source, at)));
    }
    if (const Json* format = find(schema, "format")) {
      const std::string at = child_pointer(pointer, "format");
      if (!format->is_string()) throw SchemaError(at, "format must be a string");
      // Formats herald does not know are annotations, as 2020-12 says.
      const std::string& name = format->get_ref<const std::string&>();
      auto known = std::find_if(std::begin(kFormats), std::end(kFormats),
                                [&](const Format& entry) { return entry.name == name; });
      if (known != std::end(kFormats)) {
        node.add(std::make_unique<FormatCheck>(at, known->predicate, std::string(known->what)));
      }
    }
  }

  void compile_arrays(Node& node, const Json& schema, const std::string& pointer,
                      const std::string& base) {
    auto at = [&](std::string_view keyword) { return child_pointer(pointer, keyword); };
    std::vector<const Node*> prefix;
    if (const Json* items = find(schema, "prefixItems")) {
      prefix = schema_array(*items, at("prefixItems"), base, "prefixItems");
    }
    const Node* rest = nullptr;
    if (const Json* items = find(schema, "items")) {
      if (items->is_array()) {
        throw SchemaError(at("items"),
                          "in draft 2020-12 items takes one schema; use prefixItems for a tuple");
      }
      rest = subschema(*items, at("items"), base);
    }
    if (!prefix.empty() || rest != nullptr) {
      const char* keyword = rest != nullptr ? "items" : "prefixItems";
      node.add(std::make_unique<ItemsCheck>(keyword, at(keyword), std::move(prefix), rest));
    }
    if (const Json* contains = find(schema, "contains")) {
      std::size_t min = 1;
      std::size_t max = ContainsCheck::kNoMax;
      if (const Json* value = find(schema, "minContains")) {
        min = count_value(*value, at("minContains"), "minContains");
      }
      if (const Json* value = find(schema, "maxContains")) {
        max = count_value(*value, at("maxContains"), "maxContains");
      }
      const Node* contained = subschema(*contains, at("contains"), base);
      // minContains 0 without a maximum accepts every array.
      if (min > 0 || max != ContainsCheck::kNoMax) {
        node.add(std::make_unique<ContainsCheck>(at("contains"), contained, min, max));
      }
    }
    for (const char* keyword : {"minItems", "maxItems"}) {
      if (const Json* limit = find(schema, keyword)) {
        node.add(std::make_unique<CountCheck>(keyword, at(keyword), kArrayBit, keyword[1] == 'i',
                                              count_value(*limit, at(keyword), keyword)));
      }
    }
    if (const Json* unique = find(schema, "uniqueItems")) {
      if (!unique->is_boolean()) {
        throw SchemaError(at("uniqueItems"), "uniqueItems must be a boolean");
      }
      if (unique->get<bool>()) node.add(std::make_unique<UniqueItemsCheck>(at("uniqueItems")));
    }
  }

  static std::vector<std::string> string_array(const Json& value, const std::string& pointer,
                                               const char* what) {
    if (!value.is_array()) throw SchemaError(pointer, std::string(what) + " must be an array");
    std::vector<std::string> names;
    for (const Json& name : value) {
      if (!name.is_string()) {
        throw SchemaError(pointer, std::string(what) + " must hold strings, got " + preview(name));
      }
      names.push_back(name.get<std::string>());
    }
    return names;
  }

  void compile_objects(Node& node, const Json& schema, const std::string& pointer,
                       const std::string& base) {
    auto at = [&](std::string_view keyword) { return child_pointer(pointer, keyword); };
    if (const Json* required = find(schema, "required")) {
      auto names = string_array(*required, at("required"), "required");
      if (!names.empty()) {
        node.add(std::make_unique<RequiredCheck>(at("required"), std::move(names)));
      }
    }
    if (const Json* rules = find(schema, "dependentRequired")) {
      if (!rules->is_object()) {
        throw SchemaError(at("dependentRequired"), "dependentRequired must be an object");
      }
      std::vector<std::pair<std::string, std::vector<std::string>>> parsed;
      for (auto it = rules->begin(); it != rules->end(); ++it) {
        parsed.emplace_back(
            it.key(), string_array(it.value(), child_pointer(at("dependentRequired"), it.key()),
                                   "dependentRequired"));
      }
      node.add(
          std::make_unique<DependentRequiredCheck>(at("dependentRequired"), std::move(parsed)));
    }

    std::map<std::string, const Node*, std::less<>> named;
    if (const Json* properties = find(schema, "properties")) {
      if (!properties->is_object()) {
        throw SchemaError(at("properties"), "properties must be an object");
      }
      for (auto it = properties->begin(); it != properties->end(); ++it) {
        named.emplace(it.key(),
                      subschema(it.value(), child_pointer(at("properties"), it.key()), base));
      }
    }
    std::vector<PatternProperty> patterns;
    if (const Json* pattern_properties = find(schema, "patternProperties")) {
      if (!pattern_properties->is_object()) {
        throw SchemaError(at("patternProperties"), "patternProperties must be an object");
      }
      for (auto it = pattern_properties->begin(); it != pattern_properties->end(); ++it) {
        const std::string entry = child_pointer(at("patternProperties"), it.key());
        patterns.push_back(
            {it.key(), compile_regex(it.key(), entry), subschema(it.value(), entry, base)});
      }
    }
    const Node* additional = nullptr;
    if (const Json* value = find(schema, "additionalProperties")) {
      additional = subschema(*value, at("additionalProperties"), base);
    }
    if (!named.empty() || !patterns.empty() || additional != nullptr) {
      node.add(std::make_unique<PropertiesCheck>(at("properties"), std::move(named),
                                                 std::move(patterns), additional,
                                                 at("additionalProperties")));
    }
    if (const Json* names = find(schema, "propertyNames")) {
      node.add(std::make_unique<PropertyNamesCheck>(at("propertyNames"),
                                                    subschema(*names, at("propertyNames"), base)));
    }
    for (const char* keyword : {"minProperties", "maxProperties"}) {
      if (const Json* limit = find(schema, keyword)) {
        node.add(std::make_unique<CountCheck>(keyword, at(keyword), kObjectBit, keyword[1] == 'i',
                                              count_value(*limit, at(keyword), keyword)));
      }
    }
    if (const Json* dependent = find(schema, "dependentSchemas")) {
      if (!dependent->is_object()) {
        throw SchemaError(at("dependentSchemas"), "dependentSchemas must be an object");
      }
      std::vector<std::pair<std::string, const Node*>> schemas;
      for (auto it = dependent->begin(); it != dependent->end(); ++it) {
        schemas.emplace_back(
            it.key(), subschema(it.value(), child_pointer(at("dependentSchemas"), it.key()), base));
      }
      node.add(std::make_unique<DependentSchemasCheck>(at("dependentSchemas"), std::move(schemas)));
    }
  }

  // ---- references ----------------------------------------------------------

  const Node* resolve_ref(const std::string& ref, const std::string& base,
                          const std::string& where) {
    const SchemaResources::Target target = resources_.resolve(ref, base, where);
    return compile(*target.schema, target.pointer, target.parent_base);
  }

  // A cycle through $ref, allOf, anyOf, ... revisits the same instance value
  // and never ends; refuse it here rather than loop on the first request.
  void refuse_in_place_cycles() {
    enum Color { kWhite, kGrey, kBlack };
    std::unordered_map<const Node*, Color> color;
    struct Frame {
      const Node* node;
      std::vector<const Node*> children;
      std::size_t next = 0;
    };
    for (const auto& start : document_.nodes) {
      if (color[start.get()] != kWhite) continue;
      std::vector<Frame> stack;
      auto push = [&](const Node* node) {
        color[node] = kGrey;
        Frame frame{node, {}, 0};
        for (const auto& check : node->checks()) check->in_place_children(frame.children);
        stack.push_back(std::move(frame));
      };
      push(start.get());
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next == top.children.size()) {
          color[top.node] = kBlack;
          stack.pop_back();
          continue;
        }
        const Node* child = top.children[top.next++];
        if (color[child] == kGrey) {
          throw SchemaError(child->schema_location(),
                            "this schema refers back to itself (through $ref or a combinator) "
                            "without going into a property or an item, so validation would "
                            "never end");
        }
        if (color[child] == kWhite) push(child);
      }
    }
  }

  const Json& root_;
  CompiledDocument& document_;
  SchemaResources resources_;
  std::unordered_map<std::string, Node*> compiled_;  // JSON pointer -> node
};

}  // namespace

std::shared_ptr<const CompiledDocument> compile_schema(const Json& schema) {
  auto document = std::make_shared<CompiledDocument>();
  Compiler(schema, *document).run();
  return document;
}

}  // namespace herald::gateway::validation
