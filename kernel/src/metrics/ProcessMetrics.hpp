#pragma once

#include "metrics/MetricsRegistry.hpp"

#include <string>

namespace vtp::kernel {

// The standard process_* metrics of Prometheus client libraries, read from /proc at scrape
// time: process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds.
// `procDir` is "/proc/self" except in tests.
void collectProcessMetrics(std::vector<CollectedFamily>& out, const std::string& procDir = "/proc/self");

} // namespace vtp::kernel
