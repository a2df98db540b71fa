#pragma once

#include "vtp/abi.h"

#include <list>
#include <string>

namespace vtp::kernel {
class Kernel;
struct PluginRuntime;

// The host table handed to every plugin. Static and immutable; per-plugin state is in vtp_host.
const vtp_host_api* hostApi();
} // namespace vtp::kernel

// The kernel's side of the opaque per-plugin handle.
struct vtp_host {
    vtp::kernel::Kernel* kernel = nullptr;
    vtp::kernel::PluginRuntime* plugin = nullptr;
    std::string name;
    std::string configJson;
    std::string dataDir;
    std::list<vtp_route> routes; // what RouteSpec::target points to; std::list keeps addresses stable
};
