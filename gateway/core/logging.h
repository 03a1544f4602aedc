// spdlog set-up: one line per event worth knowing, text or JSON.
#pragma once

#include <string>

namespace herald::gateway {

// level: trace|debug|info|warn|error; format: text|json. Main thread, at start.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace herald::gateway
