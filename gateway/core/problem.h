// RFC 9457 problem documents: every error the gateway answers.
#pragma once

#include <string>

#include "herald/event.h"
#include "herald/status.h"
#include "herald/store.h"

namespace herald::gateway {

// {"type": "urn:herald:problem:<slug>", "title", "status", "detail", ...extra}
// `extra` members (an object) are merged in: "errors", "current_version", ...
Json make_problem(int status, const std::string& slug, const std::string& title,
                  const std::string& detail, const Json& extra = Json::object());

// How many seconds a client should wait before retrying a request the store
// refused for now: the problem's "retry_after" member, and the answer's
// Retry-After header over HTTP.
constexpr int kStoreRetryAfterSeconds = 1;

// The 503 store-unavailable problem for a store call that answered kRetry
// (`what` says which call, `s` what the store said). While the store is
// healthy apart from this call (a timeout, a lost connection) the problem
// says "retry later" and carries "retry_after"; a store in a failed state
// (health() kFailed: the memory store after a disk error) refuses until
// herald is restarted, and its problem promises nothing of waiting.
Json store_unavailable_problem(EventStore& store, const Status& s, const std::string& what);

}  // namespace herald::gateway
