#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The HTTP port's keys (http.*): their part of the kernel's schema (host/KernelSchema.cpp).
void addHttpKeys(ConfigSchema& schema);

} // namespace vtp::kernel
