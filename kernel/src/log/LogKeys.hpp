#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The log's level (log.level): their part of the kernel's schema (host/KernelSchema.cpp).
void addLogKeys(ConfigSchema& schema);

} // namespace vtp::kernel
