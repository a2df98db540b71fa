#pragma once

#include <map>
#include <string>
#include <vector>

namespace vtp::kernel {

struct DependencyNode {
    std::string name;
    std::vector<std::string> dependencies;
    bool refused = false; // refused already (e.g. ABI): never ordered, and its dependents are refused
};

struct DependencyResult {
    std::vector<std::string> order;                 // start order: dependencies first
    std::map<std::string, std::string> refused;     // name -> reason
};

// Topological order (Kahn), stable in input order. A missing dependency refuses the plugin
// ("depends on 'x', which is not enabled or was refused"), refusal propagates to dependents,
// and every plugin on a cycle is refused with the cycle named ("dependency cycle: a -> b -> a").
DependencyResult orderByDependencies(const std::vector<DependencyNode>& nodes);

} // namespace vtp::kernel
