#include "core/command_router.h"

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/problem.h"
#include "herald/json_text.h"
#include "herald/utf8.h"
#include "text/suggest.h"

namespace herald::gateway {
namespace {

using Kind = CommandOutcome::Kind;

CommandOutcome outcome(Kind kind, Json body) { return {kind, std::move(body)}; }

// kRetry is 503 (see store_unavailable_problem for what it promises);
// anything else 500.
CommandOutcome store_failure(EventStore& store, const Status& s, const std::string& what) {
  if (s.code() == StatusCode::kRetry) {
    return outcome(Kind::kUnavailable, store_unavailable_problem(store, s, what));
  }
  return outcome(Kind::kInternal,
                 make_problem(500, "store-error", "Store error", what + ": " + s.message()));
}

std::vector<std::string> keys_of(const std::map<std::string, CommandEntry>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

// What an Idempotency-Key stands for: the command as the client sent it. The
// id is the one the client gave, empty when the gateway makes one: a retry of
// POST /v1/commands/{Type} gets a new made id, and must still match.
std::string fingerprint(const CommandRequest& r) {
  const std::string& id = r.aggregate_id;
  std::string basis = r.aggregate_type + "/" + id + ":" + r.type + ":" + r.data.dump();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(stable_hash(basis)));
  return r.aggregate_type + "/" + id + ":" + r.type + ":" + buf;
}

// The answer to a retry with an Idempotency-Key: the first time's events,
// with their stream, version and correlation id.
CommandSuccess replayed(const StreamId& stream, std::vector<RecordedEvent> events) {
  if (events.empty()) return CommandSuccess{stream, kNoVersion, {}, {}};
  CommandSuccess s{
      events.front().stream, events.back().version, {}, events.front().metadata.correlation_id};
  s.events = std::move(events);
  return s;
}

}  // namespace

bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x21 || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return false;
      ++i;
      continue;
    }
    const auto [cp, length] = decode_utf8(s, i);
    const bool c1_control = cp >= 0x80 && cp <= 0x9F;
    if (length == 0 || c1_control) return false;
    i += length;
  }
  return true;
}

CommandOutcome invalid_aggregate_id() {
  return outcome(Kind::kBadRequest,
                 make_problem(400, "malformed-request", "Malformed request",
                              "the aggregate id must be 1-256 bytes of printable UTF-8 without "
                              "spaces, '/', '?', '#' or '%'"));
}

CommandRouter::CommandRouter(EventStore& store, LimitsConfig limits, const UpcasterChain* upcasters)
    : store_(store), limits_(limits), repository_(store, limits.aggregate_cache_size, upcasters) {}

void CommandRouter::add(AggregateType type) {
  std::string name = type.type;
  types_.emplace(std::move(name), std::move(type));
}

const AggregateType* CommandRouter::find(const std::string& type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

CommandOutcome CommandRouter::unknown_type(const std::string& type) const {
  std::vector<std::string> known;
  for (const auto& [k, v] : types_) known.push_back(k);
  std::string detail = "no aggregate type '" + type + "' is configured";
  if (auto hint = did_you_mean(type, known); !hint.empty()) detail += " (" + hint + ")";
  return outcome(Kind::kNotFound, make_problem(404, "unknown-aggregate-type",
                                               "Unknown aggregate type", detail,
                                               {{"known_types", known}}));
}

Json CommandSuccess::body() const {
  // Built member by member: brace lists would copy every value once more.
  Json list = Json::array();
  auto& items = list.get_ref<Json::array_t&>();
  items.reserve(events.size());
  for (const auto& e : events) {
    Json item = Json::object();
    item["id"] = e.id;
    item["type"] = e.type;
    item["version"] = e.version;
    item["position"] = e.position;
    items.push_back(std::move(item));
  }
  Json body = Json::object();
  body["aggregate_type"] = stream.type;
  body["aggregate_id"] = stream.id;
  body["version"] = version;
  body["events"] = std::move(list);
  if (!events.empty() && events.back().position > 0) body["position"] = events.back().position;
  if (!correlation_id.empty()) body["correlation_id"] = correlation_id;
  return body;
}

void CommandSuccess::append_body(std::string& out) const {
  // body()'s members in its order: a Json object's keys are sorted.
  constexpr auto kReplace = Json::error_handler_t::replace;
  out.append(R"({"aggregate_id":)");
  append_json_string(out, stream.id, kReplace);
  out.append(R"(,"aggregate_type":)");
  append_json_string(out, stream.type, kReplace);
  if (!correlation_id.empty()) {
    out.append(R"(,"correlation_id":)");
    append_json_string(out, correlation_id, kReplace);
  }
  out.append(R"(,"events":[)");
  for (std::size_t i = 0; i < events.size(); ++i) {
    const RecordedEvent& e = events[i];
    out.append(i == 0 ? R"({"id":)" : R"(,{"id":)");
    append_json_string(out, e.id, kReplace);
    out.append(R"(,"position":)");
    append_json_integer(out, e.position);
    out.append(R"(,"type":)");
    append_json_string(out, e.type, kReplace);
    out.append(R"(,"version":)");
    append_json_integer(out, e.version);
    out.push_back('}');
  }
  out.push_back(']');
  if (!events.empty() && events.back().position > 0) {
    out.append(R"(,"position":)");
    append_json_integer(out, events.back().position);
  }
  out.append(R"(,"version":)");
  append_json_integer(out, version);
  out.push_back('}');
}

CommandOutcome CommandRouter::dispatch(const CommandRequest& request) {
  Result result = execute(CommandRequest(request));
  if (auto* success = std::get_if<CommandSuccess>(&result))
    return outcome(Kind::kOk, success->body());
  return std::move(std::get<CommandOutcome>(result));
}

CommandRouter::Result CommandRouter::execute(CommandRequest&& request) {
  const AggregateType* type = find(request.aggregate_type);
  if (type == nullptr) return unknown_type(request.aggregate_type);
  try {
    return run(*type, request);
  } catch (const std::exception& e) {
    // The host guards every plugin call; anything that still escapes is a bug
    // worth a log line, not a dead worker thread.
    spdlog::error("command {} on {}/{} failed: {}", request.type, request.aggregate_type,
                  request.aggregate_id, e.what());
    return outcome(Kind::kInternal,
                   make_problem(500, "internal", "Internal error", e.what()));
  }
}

CommandRouter::Result CommandRouter::run(const AggregateType& type, CommandRequest& request) {
  auto cmd = type.commands.find(request.type);
  if (cmd == type.commands.end()) {
    std::string detail = "aggregate type '" + type.type + "' has no command '" + request.type + "'";
    auto known = keys_of(type.commands);
    if (auto hint = did_you_mean(request.type, known); !hint.empty()) detail += " (" + hint + ")";
    return outcome(Kind::kNotFound, make_problem(404, "unknown-command", "Unknown command", detail,
                                                 {{"known_commands", known}}));
  }
  if (!request.data.is_object()) {
    return outcome(Kind::kBadRequest, make_problem(400, "malformed-command", "Malformed command",
                                                   "\"data\" must be a JSON object"));
  }
  const std::string id = request.aggregate_id.empty() ? make_uuid() : request.aggregate_id;
  if (!valid_identifier(id)) return invalid_aggregate_id();
  if (cmd->second.validate) {
    auto errors = cmd->second.validate(request.data);
    if (!errors.empty()) {
      return outcome(Kind::kRejected,
                     make_problem(422, "validation-failed", "Command data is not valid",
                                  request.type + " data failed " + std::to_string(errors.size()) +
                                      " check(s)",
                                  {{"errors", errors}}));
    }
  }

  // What an Idempotency-Key stands for, taken before the data moves on.
  const std::string key_fingerprint =
      request.idempotency_key.empty() ? std::string() : fingerprint(request);
  const StreamId stream{type.type, id};
  Command command{make_uuid(), stream, request.type, std::move(request.data),
                  std::move(request.metadata)};
  if (command.metadata.correlation_id.empty()) command.metadata.correlation_id = make_uuid();
  command.metadata.causation_id = command.id;

  // Commands on one aggregate take turns in this gateway, as in Axon or a
  // Dapr actor: each decides on the state the previous one left, instead of
  // all deciding on the same version and all but one conflicting. Conflicts
  // remain possible with other writers of the same store; they are retried.
  std::unique_lock turn = lock_stream(stream);
  // The key is looked up in the stream's turn: a command that races the
  // first one with the same key then sees its answer ("reused", or the
  // first result), not what the first one's events did to the state.
  if (!request.idempotency_key.empty()) {
    auto held = store_.find_idempotency(request.idempotency_key);
    if (!held.is_ok()) return store_failure(store_, held.status(), "idempotency lookup failed");
    if (held->has_value()) {
      const IdempotencyRecord& rec = **held;
      if (rec.fingerprint != key_fingerprint) {
        return outcome(Kind::kRejected,
                       make_problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                                    "this Idempotency-Key was first used for a different command "
                                    "(" + rec.fingerprint + ")"));
      }
      return replayed(rec.stream, std::vector<RecordedEvent>(rec.events));
    }
  }

  const int attempts = request.expected_version ? 1 : 1 + std::max(0, limits_.conflict_retries);
  bool fresh = false;
  Version conflicting = kNoVersion;  // the version another append reached first
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (conflicting != kNoVersion) await_version(stream, conflicting);
    auto loaded = repository_.load(type, stream, fresh);
    if (!loaded.is_ok()) {
      if (loaded.status().code() == StatusCode::kFailed) {
        spdlog::error("{}", loaded.status().message());
        return outcome(Kind::kInternal, make_problem(500, "aggregate-load-failed",
                                                     "Aggregate cannot be loaded",
                                                     loaded.status().message()));
      }
      return store_failure(store_, loaded.status(), "loading " + stream.key() + " failed");
    }
    AggregateRepository::StatePtr held_state = std::move(loaded.value());
    const AggregateState& state = *held_state;
    if (request.expected_version && *request.expected_version != state.version) {
      if (!fresh) {  // the cache may be behind another gateway's append
        fresh = true;
        --attempt;
        continue;
      }
      return outcome(Kind::kConflict,
                     make_problem(409, "version-conflict", "Version conflict",
                                  "expected version " + std::to_string(*request.expected_version) +
                                      " but " + stream.key() + " is at version " +
                                      std::to_string(state.version),
                                  {{"current_version", state.version},
                                   {"expected_version", *request.expected_version}}));
    }

    Decision decision;
    try {
      decision = type.aggregate->decide(state, command);
    } catch (const std::exception& e) {
      spdlog::error("aggregate {} threw in decide({}): {}", type.type, request.type, e.what());
      return outcome(Kind::kInternal,
                     make_problem(500, "aggregate-error", "Aggregate error", e.what()));
    }
    if (decision.kind == Decision::Kind::kUnknownCommand) {
      return outcome(Kind::kNotFound, make_problem(404, "unknown-command", "Unknown command",
                                                   "aggregate type '" + type.type +
                                                       "' has no command '" + request.type + "'"));
    }
    if (decision.kind == Decision::Kind::kRejected) {
      std::string detail = decision.errors.empty() ? "the command was rejected"
                                                   : decision.errors.front();
      if (decision.errors.size() > 1) {
        detail += " (and " + std::to_string(decision.errors.size() - 1) + " more)";
      }
      return outcome(Kind::kRejected, make_problem(422, "command-rejected", "Command rejected",
                                                   detail, {{"errors", decision.errors}}));
    }
    if (decision.events.empty()) {
      return CommandSuccess{stream, state.version, {}, std::move(command.metadata.correlation_id)};
    }
    if (decision.events.size() > limits_.max_events_per_command) {
      return outcome(Kind::kTooLarge,
                     make_problem(413, "too-many-events", "Too many events",
                                  request.type + " decided " +
                                      std::to_string(decision.events.size()) +
                                      " events; at most " +
                                      std::to_string(limits_.max_events_per_command) +
                                      " are allowed per command (gateway.limits.max_events_per_command)"));
    }

    for (const auto& d : decision.events) {
      auto v = type.event_validators.find(d.type);
      if (v == type.event_validators.end()) continue;
      if (auto errors = v->second(d.data); !errors.empty()) {
        // The aggregate broke its own contract: nothing is appended.
        spdlog::error("aggregate {} decided an invalid {} for {}: {}", type.type, d.type,
                      request.type, errors.front());
        return outcome(Kind::kInternal,
                       make_problem(500, "invalid-event", "Aggregate decided an invalid event",
                                    d.type + " data does not match its schema",
                                    {{"errors", errors}}));
      }
    }

    AppendRequest append;
    append.stream = stream;
    append.expected = ExpectedVersion::exact(state.version);
    append.events.reserve(decision.events.size());
    for (auto& d : decision.events) {
      append.events.push_back(
          NewEvent{make_uuid(), std::move(d.type), d.schema_version, std::move(d.data), command.metadata});
    }
    if (!request.idempotency_key.empty()) {
      append.idempotency_key = request.idempotency_key;
      append.idempotency_fingerprint = key_fingerprint;
      append.idempotency_expires_at = now_us() + limits_.idempotency_ttl_seconds * 1000000;
    }
    AppendResult result = store_.append(append);
    if (result.status.code() == StatusCode::kConflict) {
      repository_.forget(stream);
      fresh = true;
      conflicting = result.current_version;
      if (request.expected_version) {
        return outcome(Kind::kConflict,
                       make_problem(409, "version-conflict", "Version conflict",
                                    "expected version " + std::to_string(state.version) + " but " +
                                        stream.key() + " is at version " +
                                        std::to_string(result.current_version),
                                    {{"current_version", result.current_version},
                                     {"expected_version", state.version}}));
      }
      spdlog::debug("conflict on {} at version {} (attempt {}), deciding again", stream.key(),
                    state.version, attempt + 1);
      continue;
    }
    if (!result.status.is_ok()) {
      // The append may still complete (a sync that timed out, a network
      // store's lost answer): the state it was decided on may be behind now.
      repository_.forget(stream);
      return store_failure(store_, result.status, "append to " + stream.key() + " failed");
    }
    if (result.duplicate) {
      if (!result.idempotency_fingerprint.empty() &&
          result.idempotency_fingerprint != key_fingerprint) {
        return outcome(Kind::kRejected,
                       make_problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                                    "this Idempotency-Key was first used for a different command"));
      }
      repository_.forget(stream);
      return replayed(stream, std::move(result.events));
    }
    if (Status s = repository_.advance(type, stream, std::move(held_state), result.events);
        !s.is_ok()) {
      // The events are durable; only our cached view failed. Answer success.
      spdlog::error("{}", s.message());
    }
    return CommandSuccess{stream, result.current_version, std::move(result.events),
                          std::move(command.metadata.correlation_id)};
  }
  return outcome(Kind::kConflict,
                 make_problem(409, "version-conflict", "Version conflict",
                              "gave up on " + stream.key() + " after " + std::to_string(attempts) +
                                  " attempts: other writers kept changing it; retry the command",
                              {{"attempts", attempts}}));
}

std::unique_lock<std::mutex> CommandRouter::lock_stream(const StreamId& stream) {
  const std::size_t h = std::hash<std::string_view>{}(stream.type) * 31 +
                        std::hash<std::string_view>{}(stream.id);
  return std::unique_lock(stream_locks_[h % stream_locks_.size()]);
}

void CommandRouter::await_version(const StreamId& stream, Version version) {
  const auto deadline = std::chrono::steady_clock::now() + kAwaitConflicting;
  for (;;) {
    auto head = store_.head();
    auto current = store_.stream_version(stream);
    if (!head.is_ok() || !current.is_ok() || *current >= version) return;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) return;
    if (!store_.wait_for_events(*head, left).is_ok()) return;
  }
}

CommandOutcome CommandRouter::get_state(const std::string& type_name, const std::string& id,
                                        std::optional<Version> at) {
  const AggregateType* type = find(type_name);
  if (type == nullptr) return unknown_type(type_name);
  if (!valid_identifier(id)) return invalid_aggregate_id();
  const StreamId stream{type_name, id};
  auto failure = [&](const Status& s) {
    if (s.code() == StatusCode::kFailed) {
      return outcome(Kind::kInternal, make_problem(500, "aggregate-load-failed",
                                                   "Aggregate cannot be loaded", s.message()));
    }
    return store_failure(store_, s, "loading " + type_name + "/" + id + " failed");
  };
  auto loaded = repository_.load(*type, stream);
  if (!loaded.is_ok()) return failure(loaded.status());
  const AggregateRepository::StatePtr current = *loaded;
  if (!current->exists()) {
    return outcome(Kind::kNotFound, make_problem(404, "aggregate-not-found", "Aggregate not found",
                                                 type_name + "/" + id + " has no events"));
  }
  if (at && *at > current->version) {
    return outcome(Kind::kNotFound, make_problem(404, "version-not-found", "Version not found",
                                                 type_name + "/" + id + " is at version " +
                                                     std::to_string(current->version) +
                                                     ", not yet " + std::to_string(*at),
                                                 {{"current_version", current->version}}));
  }
  // The current state answers for its own version; an earlier one is folded.
  const bool looking_back = at && *at < current->version;
  AggregateState past;
  if (looking_back) {
    auto loaded_past = repository_.load_at(*type, stream, *at);
    if (!loaded_past.is_ok()) return failure(loaded_past.status());
    past = std::move(*loaded_past);
  }
  const AggregateState& state = looking_back ? past : *current;
  Json body = {{"aggregate_type", type_name},
               {"aggregate_id", id},
               {"version", state.version},
               {"state", state.state}};
  if (at) body["current_version"] = current->version;
  return outcome(Kind::kOk, std::move(body));
}

}  // namespace herald::gateway
