#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// /metrics' keys (metrics.*): their part of the kernel's schema (host/KernelSchema.cpp).
void addMetricsKeys(ConfigSchema& schema);

} // namespace vtp::kernel
