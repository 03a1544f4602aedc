// RFC 9457 problem documents: every error the gateway answers.
#pragma once

#include <string>

#include "herald/event.h"

namespace herald::gateway {

// {"type": "urn:herald:problem:<slug>", "title", "status", "detail", ...extra}
// `extra` members (an object) are merged in: "errors", "current_version", ...
Json make_problem(int status, const std::string& slug, const std::string& title,
                  const std::string& detail, const Json& extra = Json::object());

}  // namespace herald::gateway
