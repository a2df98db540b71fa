#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// Observability's keys: per-component log levels (log.components) and /metrics (metrics.*): their part of the kernel's schema (host/KernelSchema.cpp).
void addObservabilityKeys(ConfigSchema& schema);

} // namespace vtp::kernel
