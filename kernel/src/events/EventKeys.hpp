#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The event bus's keys (events.*, events/EventBus.hpp) and the cluster channels' (cluster.*, events/ClusterChannels.hpp): their part of the kernel's schema (host/KernelSchema.cpp).
void addEventKeys(ConfigSchema& schema);

} // namespace vtp::kernel
