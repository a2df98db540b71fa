#pragma once

#include "config/ConfigSchema.hpp"

namespace vtp::kernel {

// The job pool's keys (jobs.*, jobs/JobPool.hpp): their part of the kernel's schema (host/KernelSchema.cpp).
void addJobKeys(ConfigSchema& schema);

} // namespace vtp::kernel
