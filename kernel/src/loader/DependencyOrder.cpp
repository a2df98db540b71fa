#include "loader/DependencyOrder.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace vtp::kernel {

namespace {

struct Edge {
    std::string to;
    bool optional = false;
};

} // namespace

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

    // The edges that order plugins: every dependency, and the optional ones on plugins that are
    // enabled and not refused already.
    std::map<std::string, std::vector<Edge>> edges;
    for (const auto& n : nodes) {
        auto& out = edges[n.name];
        for (const auto& d : n.dependencies) out.push_back({d, false});
        for (const auto& d : n.optionalDependencies)
            if (auto it = byName.find(d); it != byName.end() && !it->second->refused) out.push_back({d, true});
    }

    // Find cycles with a DFS; every node on a cycle is refused with the cycle spelled out.
    std::map<std::string, int> color;                // 0 white, 1 grey, 2 black
    std::vector<std::pair<std::string, bool>> stack; // a node, and whether the edge into the next one is optional
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        color[name] = 1;
        stack.push_back({name, false});
        for (const auto& e : edges[name]) {
            if (!byName.count(e.to) || byName.at(e.to)->refused) continue;
            stack.back().second = e.optional;
            if (color[e.to] == 1) {
                auto it = std::find_if(stack.begin(), stack.end(), [&](const auto& s) { return s.first == e.to; });
                // "a -> b (optional) -> c -> a": a name reached through an optional edge is marked.
                std::string cycle = it->first;
                for (auto j = it; j != stack.end(); ++j) {
                    const std::string& next = j + 1 != stack.end() ? (j + 1)->first : e.to;
                    cycle += " -> " + next + (j->second ? " (optional)" : "");
                }
                for (auto j = it; j != stack.end(); ++j)
                    if (!result.refused.count(j->first)) result.refused[j->first] = "dependency cycle: " + cycle;
            } else if (color[e.to] == 0) {
                visit(e.to);
            }
        }
        stack.pop_back();
        color[name] = 2;
    };
    for (const auto& n : nodes)
        if (color[n.name] == 0 && !n.refused) visit(n.name);

    // A refusal spreads along dependencies only: an optional one that is refused is just absent.
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

    // Kahn over what is left, picking the earliest ready node in input order each round. An
    // optional dependency refused by now (on a cycle of its own) no longer holds anyone back.
    std::set<std::string> placed;
    while (true) {
        bool progressed = false;
        for (const auto& n : nodes) {
            if (result.refused.count(n.name) || placed.count(n.name)) continue;
            const bool ready = std::all_of(edges[n.name].begin(), edges[n.name].end(), [&](const Edge& e) {
                return placed.count(e.to) > 0 || (e.optional && result.refused.count(e.to) > 0);
            });
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
