#include "loader/DependencyOrder.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace vtp::kernel {

DependencyResult orderByDependencies(const std::vector<DependencyNode>& nodes)
{
    DependencyResult result;
    std::map<std::string, const DependencyNode*> byName;
    for (const auto& n : nodes) byName[n.name] = &n;

    for (const auto& n : nodes)
        if (n.refused) result.refused[n.name] = "refused";

    // Missing dependencies first, then propagate refusals to a fixed point.
    for (const auto& n : nodes)
        for (const auto& d : n.dependencies)
            if (!byName.count(d) && !result.refused.count(n.name) && !n.refused)
                result.refused[n.name] = "depends on '" + d + "', which is not enabled";

    // Find cycles with a DFS; every node on a cycle is refused with the cycle spelled out.
    std::map<std::string, int> color; // 0 white, 1 grey, 2 black
    std::vector<std::string> stack;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        color[name] = 1;
        stack.push_back(name);
        for (const auto& d : byName.at(name)->dependencies) {
            if (!byName.count(d) || byName.at(d)->refused) continue;
            if (color[d] == 1) {
                auto it = std::find(stack.begin(), stack.end(), d);
                std::string cycle;
                for (auto j = it; j != stack.end(); ++j) cycle += *j + " -> ";
                cycle += d;
                for (auto j = it; j != stack.end(); ++j)
                    if (!result.refused.count(*j)) result.refused[*j] = "dependency cycle: " + cycle;
            } else if (color[d] == 0) {
                visit(d);
            }
        }
        stack.pop_back();
        color[name] = 2;
    };
    for (const auto& n : nodes)
        if (color[n.name] == 0 && !n.refused) visit(n.name);

    bool changed = true;
    while (changed) {
        changed = false;
        for (const auto& n : nodes) {
            if (result.refused.count(n.name)) continue;
            for (const auto& d : n.dependencies) {
                if (auto it = result.refused.find(d); it != result.refused.end()) {
                    result.refused[n.name] = "depends on '" + d + "', which was refused";
                    changed = true;
                    break;
                }
            }
        }
    }

    // Kahn over what is left, picking the earliest ready node in input order each round.
    std::set<std::string> placed;
    while (true) {
        bool progressed = false;
        for (const auto& n : nodes) {
            if (result.refused.count(n.name) || placed.count(n.name)) continue;
            const bool ready = std::all_of(n.dependencies.begin(), n.dependencies.end(),
                                           [&](const std::string& d) { return placed.count(d) > 0; });
            if (ready) {
                result.order.push_back(n.name);
                placed.insert(n.name);
                progressed = true;
                break;
            }
        }
        if (!progressed) break;
    }
    return result;
}

} // namespace vtp::kernel
