#pragma once

#include "config/ConfigSchema.hpp"
#include "vtp/abi.h"

#include <string>
#include <vector>

namespace vtp::kernel {

// Builds the schema of [plugins.NAME] from the keys a plugin declares (the loader's kernel-sized
// copies, PluginLibrary::configKeys). Throws std::invalid_argument if a declared default is not a
// valid TOML literal of the key's type.
ConfigSchema pluginSchema(const std::string& pluginName, const std::vector<vtp_config_key>& keys);

} // namespace vtp::kernel
