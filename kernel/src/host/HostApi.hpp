#pragma once

#include "http/Cors.hpp"
#include "vtp/abi.h"

#include <list>
#include <memory>
#include <string>

namespace vtp::kernel {
class Kernel;
struct PluginRuntime;

// The host table handed to every plugin. Static and immutable; per-plugin state is in vtp_host.
const vtp_host_api* hostApi();

// Each subsystem fills its own entries of the table (HostEvents.cpp, HostJobs.cpp, HostMetrics.cpp, HostCluster.cpp).
void fillEventsApi(vtp_host_api& api);
void fillJobsApi(vtp_host_api& api);
void fillMetricsApi(vtp_host_api& api);
void fillClusterApi(vtp_host_api& api);
} // namespace vtp::kernel

// The kernel's side of the opaque per-plugin handle.
struct vtp_host {
    vtp::kernel::Kernel* kernel = nullptr;
    vtp::kernel::PluginRuntime* plugin = nullptr;
    std::string name;
    std::string configJson;
    std::string dataDir;
    std::list<vtp_route> routes; // what RouteSpec::target points to; std::list keeps addresses stable
    // The plugin's CORS default (cors_default), shared by its routes that declare none.
    std::shared_ptr<vtp::kernel::CorsDefault> corsDefault = std::make_shared<vtp::kernel::CorsDefault>();
};
