#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The kernel's own config keys (plugins add theirs under [plugins.NAME]): the kernel's
// (storage, redis, node, plugins, shutdown) and each concern's part, declared in its folder.
ConfigSchema kernelSchema();

} // namespace vtp::kernel
