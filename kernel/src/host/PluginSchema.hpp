#pragma once

#include "config/ConfigSchema.hpp"
#include "vtp/abi.h"

namespace vtp::kernel {

// Builds the schema of [plugins.NAME] from the keys a plugin declares. Throws
// std::invalid_argument if a declared default is not a valid TOML literal of the key's type.
ConfigSchema pluginSchema(const vtp_plugin_descriptor& descriptor);

} // namespace vtp::kernel
