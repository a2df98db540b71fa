#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The socket port's keys (websocket.*): their part of the kernel's schema (host/KernelSchema.cpp).
void addWebSocketKeys(ConfigSchema& schema);

} // namespace vtp::kernel
