#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The database's keys (database.*): their part of the kernel's schema (host/KernelSchema.cpp).
void addDatabaseKeys(ConfigSchema& schema);

} // namespace vtp::kernel
