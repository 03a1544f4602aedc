#include "core/problem.h"

namespace herald::gateway {

Json make_problem(int status, const std::string& slug, const std::string& title,
                  const std::string& detail, const Json& extra) {
  Json p = {{"type", "urn:herald:problem:" + slug},
            {"title", title},
            {"status", status},
            {"detail", detail}};
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) p[it.key()] = it.value();
  }
  return p;
}

Json store_unavailable_problem(EventStore& store, const Status& s, const std::string& what) {
  const bool broken = store.health().code() == StatusCode::kFailed;
  return make_problem(503, "store-unavailable", "Store unavailable",
                      what + ": " + s.message() + (broken ? "" : "; retry later"),
                      broken ? Json::object() : Json{{"retry_after", kStoreRetryAfterSeconds}});
}

}  // namespace herald::gateway
