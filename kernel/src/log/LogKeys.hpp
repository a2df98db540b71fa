#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The log's keys, their part of the kernel's schema (host/KernelSchema.cpp): the level
// (log.level) and the per-component levels (log.components, log/LogLevels.hpp), two calls
// because the reference has always listed the jobs' keys between them.
void addLogKeys(ConfigSchema& schema);
void addLogComponentKeys(ConfigSchema& schema);

} // namespace vtp::kernel
