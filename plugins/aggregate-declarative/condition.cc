#include "condition.h"

#include <algorithm>

namespace herald::plugins::declarative {
namespace {

const std::vector<std::string> kKinds = {"stream", "field", "data", "data_any_of"};
const std::vector<std::string> kTests = {"equals", "not_equals", "in", "not_in", "exists"};
const std::vector<std::string> kStreamStates = {"new", "exists"};
const std::vector<std::string> kPlaceholders = {"id",    "type",  "command",
                                                "field", "value", "expected"};

// Long values are cut so that a hostile payload cannot make a huge answer.
constexpr std::size_t kMaxShown = 100;

const Json kNull;

bool is_set(const Json* v) {
  return v != nullptr && !v->is_null();
}

std::string show(const Json* v, bool quote) {
  if (v == nullptr) return "not set";
  // Invalid UTF-8 (from a transport that did not check it) must not throw.
  std::string s = (v->is_string() && !quote)
                      ? v->get<std::string>()
                      : v->dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kMaxShown) s = s.substr(0, kMaxShown) + "...";
  return s;
}

const Json* subject_of(const Condition& c, const Scope& scope) {
  return walk(c.kind == Condition::Kind::kState ? scope.state : scope.data, c.subject);
}

bool contains(const Json* list, const Json& value) {
  if (list == nullptr || !list->is_array()) return false;
  return std::any_of(list->begin(), list->end(), [&](const Json& item) { return item == value; });
}

std::string default_template(const Condition& c) {
  using K = Condition::Kind;
  using T = Condition::Test;
  switch (c.kind) {
    case K::kStreamNew: return "{type} {id} already exists";
    case K::kStreamExists: return "{type} {id} does not exist";
    case K::kDataAnyOf: return "{command} needs at least one of {field}";
    case K::kState:
    case K::kData: break;
  }
  std::string prefix = c.kind == K::kState ? "{type} {id}: " : "{command}: ";
  switch (c.test) {
    case T::kEquals: return prefix + "{field} must be {expected}, but is {value}";
    case T::kNotEquals: return prefix + "{field} must not be {expected}";
    case T::kIn: return prefix + "{field} must be one of {expected}, but is {value}";
    case T::kNotIn: return prefix + "{field} must not be one of {expected}, but is {value}";
    case T::kExists:
      return prefix +
             (c.expect_set ? "{field} must be set" : "{field} must not be set, but is {value}");
    case T::kNone: break;
  }
  return prefix + "{field} is not as required";
}

std::string show_expected(const Condition& c, const Scope& scope, bool quote) {
  using T = Condition::Test;
  if (c.test == T::kExists) return c.expect_set ? "set" : "not set";
  Json scratch;
  const Json* e = peek(c.expected, scope, scratch);
  if ((c.test == T::kIn || c.test == T::kNotIn) && e != nullptr && e->is_array()) {
    std::string out;
    for (const auto& item : *e) {
      if (!out.empty()) out += ", ";
      out += show(&item, quote);
      if (out.size() > kMaxShown) return out.substr(0, kMaxShown) + "...";
    }
    return out;
  }
  return show(e, quote);
}

void compile_test(const Json& node, const std::string& test, Condition& c,
                  const CompileScope& scope, const std::string& where, Issues& issues) {
  const Json& arg = node.at(test);
  const std::string at = config_path(where, test);
  if (test == "exists") {
    c.test = Condition::Test::kExists;
    if (!arg.is_boolean()) {
      issues.push_back({at, "exists must be true or false, got " + describe_config_value(arg), ""});
      return;
    }
    c.expect_set = arg.get<bool>();
    return;
  }
  c.test = test == "equals"       ? Condition::Test::kEquals
           : test == "not_equals" ? Condition::Test::kNotEquals
           : test == "in"         ? Condition::Test::kIn
                                  : Condition::Test::kNotIn;
  c.expected = compile_value(arg, scope, at, issues);
  const bool list_test = c.test == Condition::Test::kIn || c.test == Condition::Test::kNotIn;
  if (list_test && c.expected.is_constant() && !c.expected.constant.is_array()) {
    issues.push_back({at, test + " takes a list of values, got " + describe_config_value(arg),
                      "write " + test + ": [a, b]"});
  }
}

bool compile_subject(const Json& node, const std::string& kind, Condition& c,
                     const CompileScope& scope, const std::string& where, Issues& issues) {
  const std::string at = config_path(where, kind);
  const Json& arg = node.at(kind);
  if (!arg.is_string() || arg.get_ref<const std::string&>().empty()) {
    issues.push_back({at,
                      kind + " names a " + (kind == "field" ? "state" : "command data") +
                          " field, got " + describe_config_value(arg),
                      kind == "field" ? "e.g. field: active" : "e.g. data: email"});
    return false;
  }
  std::string text = arg.get<std::string>();
  if (text.starts_with("$")) {
    const std::size_t dot = text.find('.');
    issues.push_back(
        {at, kind + " takes a plain field path, not a reference",
         dot == std::string::npos ? std::string() : "write '" + text.substr(dot + 1) + "'"});
    return false;
  }
  if (!parse_path(text, at, c.subject, issues)) return false;
  c.field = text;
  if (kind == "field") {
    c.kind = Condition::Kind::kState;
    check_state_path(c.subject, scope, "field '" + text + "'", at, issues);
  } else {
    c.kind = Condition::Kind::kData;
    check_schema_path(c.subject, scope.data_schema, "command " + scope.command,
                      "data '" + text + "'", at, issues);
  }
  return true;
}

}  // namespace

bool holds(const Condition& c, const Scope& scope, bool stream_exists) {
  using K = Condition::Kind;
  using T = Condition::Test;
  switch (c.kind) {
    case K::kStreamNew: return !stream_exists;
    case K::kStreamExists: return stream_exists;
    case K::kDataAnyOf:
      return std::any_of(c.any_of.begin(), c.any_of.end(),
                         [&](const Path& p) { return is_set(walk(scope.data, p)); });
    case K::kState:
    case K::kData: break;
  }
  const Json* subject = subject_of(c, scope);
  if (c.test == T::kExists) return is_set(subject) == c.expect_set;
  // A missing subject compares as null; a missing expected value (a reference
  // to something absent) equals nothing, so `equals: $metadata.user_id`
  // cannot pass for a command without a user.
  const Json& actual = subject ? *subject : kNull;
  Json scratch;
  const Json* expected = peek(c.expected, scope, scratch);
  switch (c.test) {
    case T::kEquals: return expected != nullptr && actual == *expected;
    case T::kNotEquals: return expected == nullptr || actual != *expected;
    case T::kIn: return contains(expected, actual);
    case T::kNotIn: return !contains(expected, actual);
    default: return false;
  }
}

std::string render(const Message& message, const Condition& c, const Scope& scope) {
  std::string out;
  for (const auto& [piece, text] : message.pieces) {
    switch (piece) {
      case Message::Piece::kText: out += text; break;
      case Message::Piece::kId:
        if (scope.id) out += *scope.id;
        break;
      case Message::Piece::kType:
        if (scope.command) out += scope.command->target.type;
        break;
      case Message::Piece::kCommand:
        if (scope.command) out += scope.command->type;
        break;
      case Message::Piece::kField: out += c.field; break;
      case Message::Piece::kValue:
        if (c.kind == Condition::Kind::kState || c.kind == Condition::Kind::kData) {
          const Json* v = subject_of(c, scope);
          out += show(is_set(v) ? v : nullptr, message.quote_strings);
        }
        break;
      case Message::Piece::kExpected:
        if (c.kind == Condition::Kind::kState || c.kind == Condition::Kind::kData) {
          out += show_expected(c, scope, message.quote_strings);
        }
        break;
    }
  }
  return out;
}

Message compile_message(const std::string& text, bool quote_strings, const std::string& where,
                        Issues& issues) {
  Message m;
  m.quote_strings = quote_strings;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) m.pieces.emplace_back(Message::Piece::kText, std::move(literal));
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if ((ch == '{' || ch == '}') && i + 1 < text.size() && text[i + 1] == ch) {
      literal += ch;
      ++i;
      continue;
    }
    if (ch != '{') {
      literal += ch;
      continue;
    }
    std::size_t close = text.find('}', i);
    if (close == std::string::npos) {
      issues.push_back(
          {where, "message has a '{' without a closing '}'", "write {{ for a literal {"});
      return m;
    }
    std::string name = text.substr(i + 1, close - i - 1);
    static const Message::Piece kPieces[] = {Message::Piece::kId,      Message::Piece::kType,
                                             Message::Piece::kCommand, Message::Piece::kField,
                                             Message::Piece::kValue,   Message::Piece::kExpected};
    auto it = std::find(kPlaceholders.begin(), kPlaceholders.end(), name);
    if (it == kPlaceholders.end()) {
      issues.push_back({where, "message has an unknown placeholder {" + name + "}",
                        hint_for(name, kPlaceholders, "placeholders")});
    } else {
      flush();
      m.pieces.emplace_back(kPieces[it - kPlaceholders.begin()], std::string());
    }
    i = close;
  }
  flush();
  return m;
}

std::optional<Precondition> compile_condition(const Json& node, const CompileScope& scope,
                                              const std::string& where, bool allow_message,
                                              Issues& issues) {
  const std::string what = allow_message ? "a precondition" : "a when condition";
  if (!node.is_object()) {
    issues.push_back({where, what + " must be a map, got " + describe_config_value(node),
                      "e.g. {stream: exists} or {field: active, equals: true}"});
    return std::nullopt;
  }
  std::vector<std::string> kinds;
  for (const auto& k : kKinds) {
    if (node.contains(k)) kinds.push_back(k);
  }
  std::vector<std::string> allowed = kKinds;
  allowed.insert(allowed.end(), kTests.begin(), kTests.end());
  if (allow_message) allowed.push_back("message");
  if (kinds.empty()) {
    const std::size_t before = issues.size();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
      issues.push_back({config_path(where, it.key()),
                        "unknown precondition kind '" + it.key() + "'",
                        hint_for(it.key(), kKinds, "kinds")});
    }
    if (issues.size() == before) {
      issues.push_back({where, what + " needs one of " + join_words(kKinds),
                        "e.g. {stream: exists} or {field: active, equals: true}"});
    }
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    issues.push_back({where, what + " has one kind, but this one has " + join_words(kinds),
                      "write each as its own list item"});
    return std::nullopt;
  }

  Precondition p;
  Condition& c = p.condition;
  const std::string& kind = kinds.front();
  const bool takes_test = kind == "field" || kind == "data";
  allowed = {kind};
  if (takes_test) allowed.insert(allowed.end(), kTests.begin(), kTests.end());
  if (allow_message) allowed.push_back("message");
  const std::size_t before = issues.size();
  check_keys(node, allowed, where, what + " with " + kind, issues);

  if (kind == "stream") {
    const Json& arg = node.at("stream");
    const std::string at = config_path(where, "stream");
    if (!arg.is_string() || (arg != "new" && arg != "exists")) {
      issues.push_back(
          {at, "stream must be new or exists, got " + describe_config_value(arg),
           arg.is_string() ? hint_for(arg.get<std::string>(), kStreamStates, "choices") : ""});
    } else {
      c.kind = arg == "new" ? Condition::Kind::kStreamNew : Condition::Kind::kStreamExists;
    }
  } else if (kind == "data_any_of") {
    c.kind = Condition::Kind::kDataAnyOf;
    const Json& arg = node.at("data_any_of");
    const std::string at = config_path(where, "data_any_of");
    if (!arg.is_array() || arg.empty()) {
      issues.push_back(
          {at, "data_any_of takes a list of command data fields, got " + describe_config_value(arg),
           "e.g. data_any_of: [name, email]"});
    } else {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < arg.size(); ++i) {
        const std::string item_at = config_path(at, i);
        if (!arg[i].is_string()) {
          issues.push_back(
              {item_at, "expected a field name, got " + describe_config_value(arg[i]), ""});
          continue;
        }
        Path path;
        if (!parse_path(arg[i].get<std::string>(), item_at, path, issues)) continue;
        check_schema_path(path, scope.data_schema, "command " + scope.command,
                          "data '" + arg[i].get<std::string>() + "'", item_at, issues);
        names.push_back(arg[i].get<std::string>());
        c.any_of.push_back(std::move(path));
      }
      c.field = join_words(names);
    }
  } else {
    compile_subject(node, kind, c, scope, where, issues);
    std::vector<std::string> tests;
    for (const auto& t : kTests) {
      if (node.contains(t)) tests.push_back(t);
    }
    if (tests.empty()) {
      issues.push_back({where, what + " on " + kind + " needs a test: one of " + join_words(kTests),
                        "e.g. equals: true"});
    } else if (tests.size() > 1) {
      issues.push_back({where, what + " has one test, but this one has " + join_words(tests),
                        "write each as its own list item"});
    } else {
      compile_test(node, tests.front(), c, scope, where, issues);
    }
  }

  auto custom = node.find("message");
  if (allow_message && custom != node.end()) {
    const std::string at = config_path(where, "message");
    if (!custom->is_string()) {
      issues.push_back({at, "message must be text, got " + describe_config_value(*custom), ""});
    } else {
      p.message = compile_message(custom->get<std::string>(), false, at, issues);
    }
  } else if (allow_message) {
    p.message = compile_message(default_template(c), true, where, issues);
  }
  if (issues.size() != before) return std::nullopt;
  return p;
}

}  // namespace herald::plugins::declarative
