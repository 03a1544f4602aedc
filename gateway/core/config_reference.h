// docs/configuration.md, generated from the one table each option lives in:
// the gateway's schema and every plugin's descriptor (`herald docs`).
#pragma once

#include <string>
#include <vector>

#include "herald/plugin.h"

namespace herald::gateway {

std::string config_reference_markdown(const ConfigSchema& gateway,
                                      const std::vector<const PluginDescriptor*>& plugins);

}  // namespace herald::gateway
