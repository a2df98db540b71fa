#pragma once

#include <map>
#include <string>
#include <vector>

namespace vtp::kernel {

struct DependencyNode {
    std::string name;
    std::vector<std::string> dependencies;
    bool refused = false; // refused already (e.g. ABI): never ordered, and its dependents are refused
    // "Start after these if they are enabled" (ABI 1.6): ordered like dependencies when present and
    // not refused already, ignored otherwise; a refusal never spreads along them.
    std::vector<std::string> optionalDependencies = {};
};

struct DependencyResult {
    std::vector<std::string> order;             // start order: dependencies first
    std::map<std::string, std::string> refused; // name -> reason
};

// Topological order (Kahn), stable in input order. A missing dependency refuses the plugin
// ("depends on 'x', which is not enabled"), refusal propagates to dependents, and every plugin on a
// cycle, through either kind of dependency, is refused with the cycle named
// ("dependency cycle: a -> b -> a", an optional edge written "a -> b (optional)").
DependencyResult orderByDependencies(const std::vector<DependencyNode>& nodes);

} // namespace vtp::kernel
