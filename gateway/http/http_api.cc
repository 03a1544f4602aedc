#include "http/http_api.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <set>

#include "core/problem.h"
#include "herald/json_text.h"
#include "http/http_connection.h"
#include "http/request_parsing.h"
#include "subscriptions/log_poll.h"
#include "text/suggest.h"

namespace herald::gateway {
namespace {

using Poco::Net::HTTPRequest;

constexpr const char* kJson = "application/json";
constexpr const char* kProblem = "application/problem+json";
// Read-your-writes: how long a query with min_position waits by default.
constexpr std::uint64_t kReadYourWritesWaitMs = 2000;
// The longest wait_ms= honoured, for read-your-writes and long polls alike
// (the systemd unit's stop timeout; a stop answers waiting requests at once).
constexpr std::uint64_t kMaxWaitMs = 30000;

// What each resource takes in its query string (check_params), made once.
// A command takes none: what a client might put there belongs in the body.
const ParamRules kNoParams{};
const ParamRules kCommandParams{.body_fields = {"type", "data", "expected_version", "metadata"}};
const ParamRules kAggregateParams{.single = {"version"}};
const ParamRules kStreamParams{.single = {"from", "limit", "direction"}};
const ParamRules kEventsParams{.single = {"after", "limit", "wait_ms"},
                               .repeatable = {"type", "stream_type"}};
// A document takes the read-your-writes pair; a list also paging, search,
// order and any field as an equality filter.
const ParamRules kDocumentParams{.single = {"min_position", "wait_ms"}};
const ParamRules kListParams{.other_fields = true};

// The target without its query, for messages.
std::string path_of(const std::string& uri) {
  return uri.substr(0, uri.find('?'));
}

struct Reply {
  int status = 200;
  Json body;
  std::string allow;        // for 405
  std::string text;         // non-JSON body (metrics)
  std::string content_type;
  bool close = false;
};

Reply json_reply(int status, Json body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
Reply problem_reply(int status, const std::string& slug, const std::string& title,
                    const std::string& detail, const Json& extra = Json::object()) {
  return json_reply(status, make_problem(status, slug, title, detail, extra));
}
Reply bad_reply(BadInput b) { return json_reply(b.status, std::move(b.problem)); }
Reply outcome_reply(CommandOutcome o) { return json_reply(http_status(o.kind), std::move(o.body)); }

// Answers the requests of every connection (HttpConnection calls it on the
// connection's worker thread).
class ApiHandler final : public ConnectionHandler {
 public:
  ApiHandler(Runtime& runtime, Metrics& metrics, std::function<ConnectionCounts()> connections)
      : runtime_(runtime),
        metrics_(metrics),
        connections_(std::move(connections)),
        max_waiting_(std::max(1, runtime.config().http.threads / 2)) {}

  HttpAnswer answer(const HttpRequestHead& request, const std::string& body) override {
    const auto started = std::chrono::steady_clock::now();
    Reply reply;
    try {
      reply = route(request, body);
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", request.method, request.target, e.what());
      reply = problem_reply(500, "internal", "Internal error", e.what());
    }
    metrics_.count_request(reply.status);
    if (spdlog::should_log(spdlog::level::debug)) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      spdlog::debug("{} {} {} {}us", request.method, request.target, reply.status, us);
    }
    return to_answer(std::move(reply));
  }

  HttpAnswer refusal(int status, const std::string& slug, const std::string& title,
                     const std::string& detail) override {
    Reply reply = problem_reply(status, slug, title, detail);
    reply.close = true;
    metrics_.count_request(status);
    spdlog::debug("refused a request: {} {}", status, detail);
    return to_answer(std::move(reply));
  }

  void handed_over() override { metrics_.count_handed_over(); }

 private:
  static HttpAnswer to_answer(Reply&& reply) {
    HttpAnswer a;
    a.status = reply.status;
    if (!reply.allow.empty()) a.fields.emplace_back("Allow", std::move(reply.allow));
    // A problem that says when to retry (its "retry_after" member, in
    // seconds) says it in the header too, where clients and proxies look.
    if (reply.status == 503 && reply.body.is_object()) {
      auto it = reply.body.find("retry_after");
      if (it != reply.body.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        a.fields.emplace_back("Retry-After", std::to_string(it->get<std::int64_t>()));
      }
    }
    a.close = reply.close;
    if (!reply.content_type.empty()) {
      a.content_type = std::move(reply.content_type);
      a.body = std::move(reply.text);
    } else {
      a.content_type = reply.status >= 400 ? kProblem : kJson;
      a.body.reserve(256);
      append_json(a.body, reply.body, Json::error_handler_t::replace);
    }
    return a;
  }

  Reply method_not_allowed(const std::string& allow) {
    Reply r = problem_reply(405, "method-not-allowed", "Method not allowed",
                            "this resource answers " + allow);
    r.allow = allow;
    return r;
  }

  Reply route(const HttpRequestHead& request, const std::string& body) {
    // HEAD is GET without the body, which the connection leaves out.
    const std::string& method =
        request.method == HTTPRequest::HTTP_HEAD ? HTTPRequest::HTTP_GET : request.method;
    auto target = parse_target(request.target);
    if (auto* b = std::get_if<BadInput>(&target)) return bad_reply(std::move(*b));
    const auto& [parts, query] = std::get<RequestTarget>(target);
    const auto n = parts.size();
    // Refuses what the resource does not take (request_parsing.h: check_params).
    // An empty query keeps to any rules: the message's resource name is
    // made only for a query there is something to check in.
    auto takes = [&](const ParamRules& rules) -> std::optional<BadInput> {
      if (query.empty()) return std::nullopt;
      return check_params(query, rules, method + " " + path_of(request.target));
    };

    if (n == 2 && parts[0] == "health") {
      if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
      if (parts[1] == "live") return json_reply(200, {{"status", "live"}});
      if (parts[1] == "ready") return ready();
    }
    if (n == 1 && parts[0] == "metrics") {
      if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
      auto head = runtime_.store().head();
      MetricsSnapshot now;
      now.head = head.is_ok() ? static_cast<std::int64_t>(*head) : -1;
      now.connections = connections_();
      now.waiting = waiting_.load(std::memory_order_relaxed);
      if (runtime_.is_open()) now.projections = runtime_.projections().status();
      Reply r;
      r.text = metrics_.render(now);
      r.content_type = "text/plain; version=0.0.4";
      return r;
    }
    if (n >= 2 && parts[0] == "v1") {
      const std::string& what = parts[1];
      if (what == "commands" && (n == 3 || n == 4)) {
        if (method != HTTPRequest::HTTP_POST) return method_not_allowed("POST");
        if (auto b = takes(kCommandParams)) return bad_reply(std::move(*b));
        return command(request, body, parts[2], n == 4 ? parts[3] : "");
      }
      if (what == "aggregates" && n == 4) {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kAggregateParams)) return bad_reply(std::move(*b));
        std::optional<Version> at;
        if (query.count("version")) {
          auto v = uint_param(query, "version", 0, static_cast<std::uint64_t>(INT64_MAX));
          if (auto* b = std::get_if<BadInput>(&v)) return bad_reply(std::move(*b));
          at = static_cast<Version>(std::get<std::uint64_t>(v));
        }
        return outcome_reply(runtime_.router().get_state(parts[2], parts[3], at));
      }
      if (what == "streams" && n == 4) {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kStreamParams)) return bad_reply(std::move(*b));
        return stream(parts[2], parts[3], query);
      }
      if (what == "events" && n == 2) {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kEventsParams)) return bad_reply(std::move(*b));
        return events(query);
      }
      if (what == "projections" && (n == 3 || n == 4)) {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(n == 4 ? kDocumentParams : kListParams)) return bad_reply(std::move(*b));
        return projection(parts[2], n == 4 ? &parts[3] : nullptr, query);
      }
      if (what == "admin" && n == 3 && parts[2] == "plugins") {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kNoParams)) return bad_reply(std::move(*b));
        return plugins();
      }
      if (what == "admin" && n == 3 && parts[2] == "subscriptions") {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kNoParams)) return bad_reply(std::move(*b));
        return json_reply(200, {{"subscriptions", runtime_.projections().status()}});
      }
      if (what == "admin" && n == 4 && parts[2] == "projections") {
        if (method != HTTPRequest::HTTP_GET) return method_not_allowed("GET, HEAD");
        if (auto b = takes(kNoParams)) return bad_reply(std::move(*b));
        Json st = runtime_.projections().status(parts[3]);
        if (st.is_null()) return unknown_projection(parts[3]);
        return json_reply(200, st);
      }
      if (what == "admin" && n == 5 && parts[2] == "projections" && parts[4] == "rebuild") {
        if (method != HTTPRequest::HTTP_POST) return method_not_allowed("POST");
        if (auto b = takes(kNoParams)) return bad_reply(std::move(*b));
        return rebuild(parts[3]);
      }
    }
    return problem_reply(404, "not-found", "Not found", "no resource at " + request.target);
  }

  Reply ready() {
    Json checks = Json::object();
    bool ok = runtime_.is_open();
    Status store = runtime_.is_open() ? runtime_.store().health() : Status::retry("not open");
    checks["store"] = store.is_ok() ? "ok" : store.message();
    ok = ok && store.is_ok();
    if (!ok) {
      return problem_reply(503, "not-ready", "Not ready", "a dependency is not ready",
                           {{"checks", checks}});
    }
    return json_reply(200, {{"status", "ready"}, {"checks", checks}});
  }

  Reply command(const HttpRequestHead& request, const std::string& body, const std::string& type,
                const std::string& id) {
    const auto started = std::chrono::steady_clock::now();
    auto json = parse_json_body(body);
    if (auto* b = std::get_if<BadInput>(&json)) return bad_reply(std::move(*b));
    auto parsed = parse_command(std::move(std::get<Json>(json)));
    if (auto* b = std::get_if<BadInput>(&parsed)) return bad_reply(std::move(*b));
    CommandRequest& cmd = std::get<CommandRequest>(parsed);
    cmd.aggregate_type = type;
    cmd.aggregate_id = id;
    auto key = idempotency_key_of(request.values("Idempotency-Key"));
    if (auto* b = std::get_if<BadInput>(&key)) return bad_reply(std::move(*b));
    cmd.idempotency_key = std::move(std::get<std::string>(key));
    CommandRouter::Result result = runtime_.router().execute(std::move(cmd));
    auto* success = std::get_if<CommandSuccess>(&result);
    metrics_.count_command(success != nullptr);
    metrics_.observe_command(std::chrono::steady_clock::now() - started);
    if (success == nullptr) return outcome_reply(std::move(std::get<CommandOutcome>(result)));
    metrics_.count_events(success->events.size());
    Reply r;
    r.content_type = kJson;
    r.text.reserve(256);
    success->append_body(r.text);
    return r;
  }

  std::variant<std::size_t, Reply> limit_param(const QueryParams& q, std::size_t fallback) {
    auto v = uint_param(q, "limit", fallback);
    if (auto* b = std::get_if<BadInput>(&v)) return bad_reply(std::move(*b));
    std::uint64_t limit = std::get<std::uint64_t>(v);
    if (limit == 0) {
      return problem_reply(400, "malformed-request", "Malformed request", "limit must be at least 1");
    }
    return static_cast<std::size_t>(std::min<std::uint64_t>(limit, runtime_.config().limits.max_read_limit));
  }

  // `what`: the call that failed, for the detail.
  Reply store_error(const Status& s, const std::string& what) {
    if (s.code() == StatusCode::kRetry) {
      return json_reply(503, store_unavailable_problem(runtime_.store(), s, what));
    }
    return problem_reply(500, "store-error", "Store error", what + ": " + s.message());
  }

  // A read model's get or query that failed: kRetry is 503 with a retry hint
  // (a model kept elsewhere, out of reach for now), anything else 500.
  Reply projection_error(const Status& s, const std::string& name) {
    const std::string detail = "projection " + name + ": " + s.message();
    if (s.code() == StatusCode::kRetry) {
      return problem_reply(503, "projection-unavailable", "Projection unavailable",
                           detail + "; retry later", {{"retry_after", kStoreRetryAfterSeconds}});
    }
    return problem_reply(500, "projection-error", "Projection error", detail);
  }

  Reply stream(const std::string& type, const std::string& id, const QueryParams& q) {
    if (runtime_.router().find(type) == nullptr) {
      return outcome_reply(runtime_.router().get_state(type, id));  // the 404 with its hint
    }
    // No stream has such an id: say why, rather than 404 with the id mangled.
    if (!valid_identifier(id)) return outcome_reply(invalid_aggregate_id());
    auto direction = choice_param(q, "direction", "forward", {"forward", "backward"});
    if (auto* b = std::get_if<BadInput>(&direction)) return bad_reply(std::move(*b));
    const bool backward = std::get<std::string>(direction) == "backward";
    // A version: beyond INT64_MAX it would turn negative, "from the start".
    // Backward, the default is the stream's last version.
    const std::uint64_t kLast = static_cast<std::uint64_t>(INT64_MAX);
    auto from = uint_param(q, "from", backward ? kLast : 0, kLast);
    if (auto* b = std::get_if<BadInput>(&from)) return bad_reply(std::move(*b));
    auto limit = limit_param(q, 100);
    if (auto* r = std::get_if<Reply>(&limit)) return *r;
    const std::size_t count = std::get<std::size_t>(limit);
    StreamId sid{type, id};
    // Backward reads find their range from the version, so it comes first;
    // forward, the page is read first and the version after it, so the
    // version is never behind the page.
    Version first = static_cast<Version>(std::get<std::uint64_t>(from));
    Version last = first;  // backward: the newest version to show
    Result<Version> version = kNoVersion;
    if (backward) {
      version = runtime_.store().stream_version(sid);
      if (!version.is_ok()) return store_error(version.status(), "reading " + sid.key());
      last = std::min<Version>(last, *version);
      first = std::max<Version>(0, last - static_cast<Version>(count) + 1);
    }
    auto slice = runtime_.store().read_stream(sid, first, count);
    if (!slice.is_ok()) return store_error(slice.status(), "reading " + sid.key());
    if (!backward) {
      version = runtime_.store().stream_version(sid);
      if (!version.is_ok()) return store_error(version.status(), "reading " + sid.key());
    }
    if (*version == kNoVersion) {
      return problem_reply(404, "stream-not-found", "Stream not found", sid.key() + " has no events");
    }
    Json list = Json::array();
    if (backward) {
      // Newest first, and nothing past `last` (a command may have appended
      // since the version was read).
      for (auto it = slice->events.rbegin(); it != slice->events.rend(); ++it) {
        if (it->version <= last) list.push_back(to_json(*it));
      }
    } else {
      for (const auto& e : slice->events) list.push_back(to_json(e));
    }
    Json body = {{"stream", {{"type", type}, {"id", id}}}, {"version", *version}, {"events", list}};
    if (backward) {
      body["direction"] = "backward";
      if (first > 0 && !list.empty()) body["next_from"] = first - 1;
    } else if (!slice->events.empty() && slice->events.back().version < *version) {
      body["next_from"] = slice->events.back().version + 1;
    }
    return json_reply(200, std::move(body));
  }

  // GET /v1/events: a page of the global log after a position; with
  // wait_ms=T, a long poll: when nothing (matching) is there yet, waits up to
  // T ms for it and answers as soon as it is durable, or with an empty page.
  Reply events(const QueryParams& q) {
    auto after = uint_param(q, "after", 0);
    if (auto* b = std::get_if<BadInput>(&after)) return bad_reply(std::move(*b));
    auto limit = limit_param(q, 100);
    if (auto* r = std::get_if<Reply>(&limit)) return *r;
    auto wait_ms = uint_param(q, "wait_ms", 0);
    if (auto* b = std::get_if<BadInput>(&wait_ms)) return bad_reply(std::move(*b));
    EventFilter filter;
    for (const char* key : {"type", "stream_type"}) {
      auto it = q.find(key);
      if (it == q.end()) continue;
      for (const auto& v : it->second) {
        std::size_t start = 0;
        while (start <= v.size()) {
          std::size_t end = v.find(',', start);
          if (end == std::string::npos) end = v.size();
          if (end > start) {
            (std::string(key) == "type" ? filter.event_types : filter.stream_types)
                .insert(v.substr(start, end - start));
          }
          start = end + 1;
        }
      }
    }
    const Position from = std::get<std::uint64_t>(after);
    const std::size_t count = std::get<std::size_t>(limit);
    auto slice = runtime_.store().read_all(from, count, filter);
    if (!slice.is_ok()) return store_error(slice.status(), "reading the global log");
    bool stopping = false;
    if (slice->events.empty() && std::get<std::uint64_t>(wait_ms) > 0) {
      WaitSlot slot(waiting_, max_waiting_);
      if (!slot.held()) {
        return too_many_waiting("no event after position " + std::to_string(from) + " yet",
                                {{"head", slice->head}});
      }
      const auto deadline =
          std::chrono::steady_clock::now() +
          std::chrono::milliseconds(std::min(std::get<std::uint64_t>(wait_ms), kMaxWaitMs));
      auto end = wait_for_log_page(
          runtime_.store(), from, count, filter, deadline,
          [&] { return runtime_.projections().waiters_released(); }, *slice);
      if (!end.is_ok()) return store_error(end.status(), "waiting for the global log");
      stopping = *end == LogPollEnd::kStopping;
    }
    Json list = Json::array();
    for (const auto& e : slice->events) list.push_back(to_json(e));
    Reply r = json_reply(
        200, {{"events", list}, {"head", slice->head}, {"next_after", slice->next_after}});
    r.close = stopping;  // herald is stopping: the next poll goes elsewhere
    return r;
  }

  // A worker thread held by a waiting request (a read-your-writes query, a
  // long poll of the global log): at most max_waiting_ (half the workers)
  // at once, so that waits cannot keep commands and health probes out.
  class WaitSlot {
   public:
    WaitSlot(std::atomic<int>& waiting, int max)
        : waiting_(waiting), held_(waiting.fetch_add(1, std::memory_order_relaxed) < max) {
      if (!held_) waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    WaitSlot(const WaitSlot&) = delete;
    WaitSlot& operator=(const WaitSlot&) = delete;
    ~WaitSlot() {
      if (held_) waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    bool held() const { return held_; }

   private:
    std::atomic<int>& waiting_;
    const bool held_;
  };

  Reply too_many_waiting(const std::string& what, Json extra) {
    extra["retry_after"] = 1;
    return problem_reply(503, "too-many-waiting", "Too many requests waiting",
                         what + ", and " + std::to_string(max_waiting_) +
                             " requests already wait (for read-your-writes positions or new "
                             "events; half of gateway.http.threads); retry",
                         extra);
  }

  Reply unknown_projection(const std::string& name) {
    auto names = runtime_.projections().names();
    std::string detail = "no projection '" + name + "' is configured";
    if (auto hint = did_you_mean(name, names); !hint.empty()) detail += " (" + hint + ")";
    return problem_reply(404, "unknown-projection", "Unknown projection", detail,
                         {{"known_projections", names}});
  }

  // GET /v1/projections/{name}[/{id}]: one document or a page; with
  // min_position=P, first waits (bounded) until the model has applied P, so a
  // client reads its own writes and never gets stale data passed off as fresh.
  Reply projection(const std::string& name, const std::string* id, const QueryParams& q) {
    auto live = runtime_.projections().find(name);
    if (!live) return unknown_projection(name);
    auto min_pos = uint_param(q, "min_position", 0);
    if (auto* b = std::get_if<BadInput>(&min_pos)) return bad_reply(std::move(*b));
    auto wait_ms = uint_param(q, "wait_ms", kReadYourWritesWaitMs);
    if (auto* b = std::get_if<BadInput>(&wait_ms)) return bad_reply(std::move(*b));
    const Position wanted = std::get<std::uint64_t>(min_pos);
    if (wanted > 0 && !live->subscription->applied_through(wanted)) {
      // A model catching up, or a position that does not exist yet.
      WaitSlot slot(waiting_, max_waiting_);
      if (!slot.held()) {
        return too_many_waiting(
            "projection " + name + " has applied up to position " +
                std::to_string(live->subscription->position()) + ", not yet " +
                std::to_string(wanted),
            {{"position", live->subscription->position()}, {"min_position", wanted}});
      }
      auto ms = std::min<std::uint64_t>(std::get<std::uint64_t>(wait_ms), kMaxWaitMs);
      if (!live->subscription->wait_for(wanted, std::chrono::milliseconds(ms))) {
        if (runtime_.projections().waiters_released()) {
          // Stopping: answer now rather than hold the stop for the wait.
          Reply r = problem_reply(
              503, "shutting-down", "Gateway shutting down",
              "herald is stopping before projection " + name + " reached position " +
                  std::to_string(wanted) + "; retry the query",
              {{"position", live->subscription->position()}, {"min_position", wanted}});
          r.close = true;
          return r;
        }
        return problem_reply(504, "projection-behind", "Projection has not caught up",
                             "projection " + name + " has applied up to position " +
                                 std::to_string(live->subscription->position()) + ", not yet " +
                                 std::to_string(wanted) + "; retry later",
                             {{"position", live->subscription->position()}, {"min_position", wanted}});
      }
    }
    // A model that takes only some types may have applied `wanted` without
    // its position reaching it (nothing of its own lies in between).
    const Position at = std::max(live->subscription->position(), wanted);
    if (id != nullptr) {
      auto doc = live->projection->get(*id);
      if (!doc.is_ok()) return projection_error(doc.status(), name);
      if (!doc->has_value()) {
        return problem_reply(404, "document-not-found", "Document not found",
                             "projection " + name + " has no document '" + *id + "'",
                             {{"position", at}});
      }
      return json_reply(200, {{"id", *id}, {"position", at}, {"document", **doc}});
    }
    Query query;
    auto limit = limit_param(q, 50);
    if (auto* r = std::get_if<Reply>(&limit)) return *r;
    query.limit = std::get<std::size_t>(limit);
    auto offset = uint_param(q, "offset", 0);
    if (auto* b = std::get_if<BadInput>(&offset)) return bad_reply(std::move(*b));
    query.offset = std::get<std::uint64_t>(offset);
    static const std::set<std::string> kReserved = {"limit", "offset", "q", "sort", "order",
                                                    "min_position", "wait_ms"};
    for (const auto& [key, values] : q) {
      if (values.empty()) continue;
      if (key == "q") query.text = values.back();
      else if (key == "sort") query.sort = values.back();
      else if (key == "order") {
        if (values.back() != "asc" && values.back() != "desc") {
          return problem_reply(400, "malformed-request", "Malformed request", "order must be asc or desc");
        }
        query.descending = values.back() == "desc";
      } else if (!kReserved.count(key)) {
        query.equals[key] = values.back();  // any other parameter: field equality
      }
    }
    auto page = live->projection->query(query);
    if (!page.is_ok()) return projection_error(page.status(), name);
    return json_reply(200, {{"items", page->items},
                            {"total", page->total},
                            {"limit", query.limit},
                            {"offset", query.offset},
                            {"position", at}});
  }

  Reply rebuild(const std::string& name) {
    switch (runtime_.projections().rebuild(name)) {
      case ProjectionRegistry::RebuildStart::kUnknown: return unknown_projection(name);
      case ProjectionRegistry::RebuildStart::kAlreadyRunning:
        return problem_reply(409, "rebuild-running", "Rebuild already running",
                             "projection " + name + " is being rebuilt; see GET /v1/admin/projections/" + name,
                             {{"status", runtime_.projections().status(name)}});
      case ProjectionRegistry::RebuildStart::kStarted: break;
    }
    return json_reply(202, runtime_.projections().status(name));
  }

  Reply plugins() {
    Json list = Json::array();
    for (const auto& inst : runtime_.instances()) {
      Json j = describe_plugin(*inst.plugin);
      j.erase("options");
      j["section"] = inst.section;
      j["instance"] = inst.instance;
      list.push_back(std::move(j));
    }
    return json_reply(200, {{"plugins", list}});
  }

  Runtime& runtime_;
  Metrics& metrics_;
  std::function<ConnectionCounts()> connections_;
  // Requests waiting now (WaitSlot), and how many may.
  std::atomic<int> waiting_{0};
  const int max_waiting_;
};

}  // namespace

HttpApi::HttpApi(Runtime& runtime) : runtime_(runtime) {}

HttpApi::~HttpApi() { stop(); }

void HttpApi::start() {
  const HttpConfig& cfg = runtime_.config().http;
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR (restart while old connections linger in TIME_WAIT) but
    // not SO_REUSEPORT, which Poco's two-argument bind also sets: with it a
    // second herald on the same port started quietly and took half the
    // connections.
    socket.bind(Poco::Net::SocketAddress(cfg.host, cfg.port), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(1024);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) +
                             ": " + e.displayText());
  }
  port_ = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(cfg.threads);
  params->setMaxQueued(cfg.max_queued);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(cfg.keep_alive_seconds, 0));
  // Poco's default is 60 s: a client that stalls mid-request would hold its
  // thread, and a stop (which waits for requests in progress), that long.
  params->setTimeout(Poco::Timespan(cfg.io_timeout_seconds, 0));
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setServerName("herald");
  pool_ = std::make_unique<Poco::ThreadPool>(2, cfg.threads + 4, 60);
  // Requests arrive only after start(), so server_ is set by then.
  handler_ = std::make_unique<ApiHandler>(runtime_, metrics_, [this] {
    return ConnectionCounts{server_->currentConnections(), server_->queuedConnections(),
                            static_cast<std::uint64_t>(server_->refusedConnections()) +
                                shared_->overloaded.load(std::memory_order_relaxed)};
  });
  heads_ = std::make_unique<HeadWatch>(std::chrono::seconds(cfg.io_timeout_seconds));
  shared_ = std::make_unique<ConnectionShared>();
  shared_->params = params;
  shared_->max_body_bytes = cfg.max_body_bytes;
  shared_->heads = heads_.get();
  shared_->handler = handler_.get();
  // Connections arrive only after start(), so server_ is set by then.
  shared_->others_waiting = [this] { return server_->queuedConnections() > 0; };
  // Only the acceptor thread queues connections, so the queue cannot grow
  // between this check and Poco's own.
  shared_->queue_full = [this, max = cfg.max_queued] {
    return server_->queuedConnections() >= max;
  };
  server_ = std::make_unique<Poco::Net::TCPServer>(new HttpConnectionFactory(*shared_), *pool_,
                                                   socket, params);
  server_->setConnectionFilter(new OverloadFilter(*shared_));
  server_->start();
  spdlog::info("HTTP API listening on {}:{} ({} worker threads)", cfg.host, port_, cfg.threads);
}

void HttpApi::stop() {
  if (!server_) return;
  // Stop accepting; in-flight requests finish (answered with Connection:
  // close); idle keep-alive connections close within a poll slice.
  shared_->stopping = true;
  server_->stop();
  pool_->joinAll();
  server_.reset();
  pool_.reset();
  shared_.reset();
  heads_.reset();
  handler_.reset();
  spdlog::info("HTTP API stopped");
}

}  // namespace herald::gateway
