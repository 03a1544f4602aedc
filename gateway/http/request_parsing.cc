#include "http/request_parsing.h"

#include <Poco/URI.h>

#include <algorithm>
#include <charconv>

#include "core/problem.h"
#include "http/http_message.h"
#include "text/suggest.h"

namespace herald::gateway {
namespace {

BadInput bad(const std::string& detail, const Json& extra = Json::object()) {
  return {400, make_problem(400, "malformed-request", "Malformed request", detail, extra)};
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag,
// which names the library's exception class, not the client's mistake.
std::string without_exception_tag(const char* what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    if (auto end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

// A document builder for nlohmann's SAX parser, like its own
// (json_sax_dom_parser) but it stops at the second occurrence of a key in
// one object, where nlohmann's keeps the last and drops the first. The check
// is the key's insertion into the object being built, so it costs nothing
// beyond building the document (a list of the keys seen per object cost a
// command about 2% of its CPU).
class UniqueKeysBuilder {
 public:
  explicit UniqueKeysBuilder(Json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(Json::number_integer_t v) { return add(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return add(v); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return add(v); }
  bool string(Json::string_t& v) { return add(v); }
  bool binary(Json::binary_t& v) { return add(Json::binary(v)); }  // never in JSON text
  bool start_object(std::size_t) { return open(place(Json::object())); }
  bool key(Json::string_t& k) {
    auto [at, fresh] = open_.back()->get_ref<Json::object_t&>().try_emplace(k);
    if (!fresh) {
      duplicate_ = "the body has the key \"" + k + "\" twice" +
                   (open_.size() > 1 ? " in one object" : "") +
                   "; each key may appear once (RFC 7493), since JSON readers disagree on "
                   "which one counts";
      return false;
    }
    member_ = &at->second;
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(place(Json::array())); }
  bool end_array() { return close(); }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    throw e;  // as nlohmann's builder does: parse_json_body reports it
  }

  const std::string& duplicate() const { return duplicate_; }

 private:
  // Puts a value where the document is at: the root, the end of the open
  // array, or the member whose key came last.
  template <class Value>
  Json& place(Value&& v) {
    if (open_.empty()) {
      root_ = Json(std::forward<Value>(v));
      return root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      auto& items = parent.get_ref<Json::array_t&>();
      items.emplace_back(std::forward<Value>(v));
      return items.back();
    }
    *member_ = Json(std::forward<Value>(v));
    return *member_;
  }
  template <class Value>
  bool add(Value&& v) {
    place(std::forward<Value>(v));
    return true;
  }
  bool open(Json& container) {
    open_.push_back(&container);
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  Json& root_;
  // The objects and arrays being built, innermost last. Pointers stay valid:
  // values are only added to the innermost one.
  std::vector<Json*> open_;
  Json* member_ = nullptr;  // the value of the key read last
  std::string duplicate_;
};

}  // namespace

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > deepest && (deepest = depth) > limit) return deepest;
        break;
      case ']':
      case '}': --depth; break;
      default: break;
    }
  }
  return deepest;
}

std::variant<Json, BadInput> parse_json_body(const std::string& body) {
  if (body.empty()) return bad("the request body is empty; send a JSON object");
  // Depth is checked by a scan first: nlohmann's parser with a callback (the
  // other way to bound it) builds every document about twice as slowly.
  if (json_nesting_depth(body, kMaxDepth) > kMaxDepth) {
    return bad("the JSON body is nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  try {
    Json parsed;
    UniqueKeysBuilder builder(parsed);
    if (!Json::sax_parse(body, &builder)) return bad(builder.duplicate());
    return parsed;
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based; nlohmann's message already says where and what.
    return bad("the body is not valid JSON: " + without_exception_tag(e.what()),
               {{"offset", e.byte}});
  } catch (const Json::out_of_range& e) {
    // A number beyond a double (1e400): nlohmann reports it this way, not
    // as a parse error; it is the client's input all the same.
    return bad(std::string("the body has a number too large for a double (about 1.8e308 at "
                           "most): ") +
               without_exception_tag(e.what()));
  }
}

std::variant<CommandRequest, BadInput> parse_command(Json&& body) {
  if (!body.is_object()) return bad("the body must be a JSON object with \"type\" and \"data\"");
  static const std::vector<std::string> kKeys = {"type", "data", "expected_version", "metadata"};
  std::vector<std::string> errors;
  CommandRequest r;
  bool has_type = false;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    Json& v = it.value();
    if (k == "type") {
      has_type = true;
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
        errors.push_back("\"type\" must be a non-empty string (the command's name)");
      } else {
        r.type = std::move(v.get_ref<std::string&>());
      }
    } else if (k == "data") {
      if (!v.is_object()) errors.push_back("\"data\" must be a JSON object");
      else r.data = std::move(v);
    } else if (k == "expected_version") {
      if (v.is_null()) continue;
      // Above INT64_MAX nlohmann holds the number unsigned, and reading it
      // signed would wrap 2^64-1 round to -1 ("the stream must be new").
      const bool too_big =
          v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
      if (!v.is_number_integer() || too_big || v.get<std::int64_t>() < -1) {
        errors.push_back("\"expected_version\" must be an integer >= -1 (-1: the stream must be new)");
      } else {
        r.expected_version = v.get<std::int64_t>();
      }
    } else if (k == "metadata") {
      std::string error;
      r.metadata = metadata_from_json(v, &error);
      if (!error.empty()) errors.push_back(error);
    } else {
      std::string msg = "unknown key \"" + k + "\"";
      if (auto hint = did_you_mean(k, kKeys); !hint.empty()) msg += " (" + hint + ")";
      errors.push_back(msg);
    }
  }
  if (!has_type) errors.push_back("\"type\" is required (the command's name)");
  if (!errors.empty()) {
    std::string detail = errors.front();
    if (errors.size() > 1) detail += " (and " + std::to_string(errors.size() - 1) + " more)";
    return bad(detail, {{"errors", errors}});
  }
  return r;
}

namespace {

// Percent-decodes one path segment or query component; nullopt when the
// encoding is malformed. In a query component '+' is a space (a plus sign
// comes as %2B). Poco's own plus handling only starts after a '?', which a
// single component never has.
std::optional<std::string> decode(std::string raw, bool plus_is_space) {
  if (plus_is_space) std::replace(raw.begin(), raw.end(), '+', ' ');
  std::string out;
  try {
    Poco::URI::decode(raw, out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

BadInput bad_encoding(const std::string& what, const std::string& raw) {
  return bad("the " + what + " '" + raw +
             "' has malformed percent-encoding (use %XX with two hex digits)");
}

}  // namespace

std::variant<QueryParams, BadInput> parse_query(const std::string& raw_query) {
  QueryParams out;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string::npos) end = raw_query.size();
    std::string part = raw_query.substr(start, end - start);
    if (!part.empty()) {
      std::size_t eq = part.find('=');
      auto key = decode(part.substr(0, eq), true);
      auto value = decode(eq == std::string::npos ? "" : part.substr(eq + 1), true);
      if (!key || !value) return bad_encoding("query parameter", part);
      out[*key].push_back(std::move(*value));
    }
    start = end + 1;
  }
  return out;
}

std::variant<RequestTarget, BadInput> parse_target(const std::string& target_text) {
  RequestTarget target;
  target.path.reserve(4);  // /v1/commands/{type}/{id}
  std::string_view uri = target_text;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (equals_ignoring_case(uri.substr(0, scheme.size()), scheme)) {
      const std::size_t path_at = uri.find_first_of("/?", scheme.size());
      uri = path_at == std::string_view::npos ? std::string_view() : uri.substr(path_at);
      break;
    }
  }
  const std::size_t qpos = uri.find('?');
  const std::string_view path = uri.substr(0, qpos);
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      const std::string_view raw = path.substr(start, end - start);
      if (raw.find('%') == std::string_view::npos) {
        target.path.emplace_back(raw);  // nothing to decode
      } else {
        auto segment = decode(std::string(raw), false);
        if (!segment) return bad_encoding("path segment", std::string(raw));
        target.path.push_back(std::move(*segment));
      }
    }
    start = end + 1;
  }
  if (qpos != std::string::npos) {
    auto query = parse_query(std::string(uri.substr(qpos + 1)));
    if (auto* b = std::get_if<BadInput>(&query)) return std::move(*b);
    target.query = std::move(std::get<QueryParams>(query));
  }
  return target;
}

std::variant<std::uint64_t, BadInput> uint_param(const QueryParams& q, const std::string& key,
                                                 std::uint64_t fallback, std::uint64_t max) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return fallback;
  const std::string& s = it->second.back();
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const bool digits = ptr == s.data() + s.size();
  if (digits && (ec == std::errc::result_out_of_range || (ec == std::errc() && v > max))) {
    return bad("query parameter " + key + "=" + s + " is too large: at most " +
               std::to_string(max));
  }
  if (ec != std::errc() || !digits) {
    return bad("query parameter " + key + "=" + s + " must be a non-negative integer");
  }
  return v;
}

std::variant<std::string, BadInput> choice_param(const QueryParams& q, const std::string& key,
                                                 const std::string& fallback,
                                                 const std::vector<std::string>& choices) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return fallback;
  const std::string& s = it->second.back();
  for (const auto& c : choices) {
    if (s == c) return s;
  }
  std::string hint = did_you_mean(s, choices);
  return bad("query parameter " + key + "=" + s + " must be one of " + join_words(choices) +
             (hint.empty() ? "" : "; " + hint));
}

std::variant<std::string, BadInput> idempotency_key_of(const std::vector<std::string>& values) {
  if (values.empty()) return std::string();
  if (values.size() > 1) {
    return bad("the Idempotency-Key header is given " + std::to_string(values.size()) +
               " times; give it once");
  }
  std::string_view raw = values.front();
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
  auto printable = [](char c) { return c >= 0x20 && c <= 0x7e; };
  std::string key;
  if (!raw.empty() && raw.front() == '"') {
    // An sf-string: "..." with \" and \\ the only escapes.
    std::size_t i = 1;
    bool closed = false;
    for (; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\') {
        if (++i == raw.size() || (raw[i] != '"' && raw[i] != '\\')) break;
        c = raw[i];
      } else if (!printable(c)) {
        break;
      }
      key += c;
    }
    if (!closed || i + 1 != raw.size()) {
      return bad(
          "the Idempotency-Key header is not a well-formed quoted string (RFC 8941): "
          "printable ASCII between double quotes, with \\\" and \\\\ the only escapes");
    }
  } else {
    if (!std::all_of(raw.begin(), raw.end(), printable)) {
      return bad("the Idempotency-Key header must be printable ASCII");
    }
    key.assign(raw);
  }
  if (key.empty()) {
    return bad("the Idempotency-Key header is empty; leave it out, or give a key");
  }
  if (key.size() > kMaxIdempotencyKey) {
    return bad("Idempotency-Key must be at most " + std::to_string(kMaxIdempotencyKey) +
               " characters");
  }
  return key;
}

std::optional<BadInput> check_params(const QueryParams& q, const ParamRules& rules,
                                     const std::string& resource) {
  auto listed = [](const std::vector<std::string>& words, const std::string& key) {
    return std::find(words.begin(), words.end(), key) != words.end();
  };
  for (const auto& [key, values] : q) {
    if (listed(rules.repeatable, key)) continue;
    if (!listed(rules.single, key) && !rules.other_fields) {
      std::vector<std::string> accepted = rules.single;
      accepted.insert(accepted.end(), rules.repeatable.begin(), rules.repeatable.end());
      std::string detail = "unknown query parameter '" + key + "' for " + resource;
      if (listed(rules.body_fields, key)) {
        return bad(detail + " ('" + key + "' goes in the JSON body)", {{"parameter", key}});
      }
      if (auto hint = did_you_mean(key, accepted); !hint.empty()) detail += " (" + hint + ")";
      detail += accepted.empty() ? "; it takes no query parameters"
                                 : "; it takes " + join_words(accepted);
      Json extra = {{"parameter", key}, {"accepted", accepted}};
      return bad(detail, extra);
    }
    if (values.size() > 1) {
      return bad("query parameter '" + key + "' is given " + std::to_string(values.size()) +
                     " times for " + resource + "; give it once",
                 {{"parameter", key}});
    }
  }
  return std::nullopt;
}

}  // namespace herald::gateway
