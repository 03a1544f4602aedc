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

}  // namespace herald::gateway
