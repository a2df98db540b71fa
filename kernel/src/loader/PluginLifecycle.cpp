#include "loader/PluginLifecycle.hpp"

#include "loader/DependencyOrder.hpp"
#include "log/Logger.hpp"

#include <cstdio>

namespace vtp::kernel {

std::string_view pluginStateName(PluginState state)
{
    switch (state) {
    case PluginState::Refused: return "refused";
    case PluginState::Loaded: return "loaded";
    case PluginState::Initialised: return "initialised";
    case PluginState::Running: return "running";
    case PluginState::Stopped: return "stopped";
    }
    return "unknown";
}

PluginLifecycle::PluginLifecycle(Logger& log, Forget forget) : log_(log), forget_(std::move(forget)) {}

PluginLifecycle::~PluginLifecycle()
{
    destroyAll();
}

PluginRuntime& PluginLifecycle::open(const std::string& dir, const std::string& name)
{
    PluginRuntime& p = plugins_.emplace_back();
    p.lib = openPluginLibrary(dir, name);
    if (!p.lib.ok()) refuse(p, p.lib.refusal, p.lib.reason);
    return p;
}

void PluginLifecycle::order()
{
    std::vector<DependencyNode> nodes;
    for (auto& p : plugins_) {
        DependencyNode n{p.lib.name, {}, p.state == PluginState::Refused};
        if (p.lib.ok()) {
            const auto& desc = p.lib.descriptor;
            for (auto d = desc.dependencies; d && *d; ++d) n.dependencies.emplace_back(*d);
            if (VTP_HAS_FIELD(vtp_plugin_descriptor, optional_dependencies, desc.struct_size))
                for (auto d = desc.optional_dependencies; d && *d; ++d) n.optionalDependencies.emplace_back(*d);
        }
        nodes.push_back(std::move(n));
    }
    DependencyResult order = orderByDependencies(nodes);
    for (auto& p : plugins_)
        if (p.state != PluginState::Refused)
            if (auto it = order.refused.find(p.lib.name); it != order.refused.end()) refuse(p, RefusalKind::Dependency, it->second);
    for (const auto& name : order.order)
        for (auto& p : plugins_)
            if (p.lib.name == name && p.state != PluginState::Refused) startOrder_.push_back(&p);
    for (auto* p : startOrder_)
        log_.info("loader", "plugin loaded",
                  {{"plugin", p->lib.name},
                   {"version", p->lib.descriptor.version},
                   {"abi", std::to_string(p->lib.descriptor.abi_major) + "." + std::to_string(p->lib.descriptor.abi_minor)}});
}

void PluginLifecycle::initAll(const vtp_host_api* api, const MakeHost& makeHost)
{
    for (auto* p : startOrder_) {
        if (p->state == PluginState::Refused) continue;
        // A dependency that failed takes its dependents with it.
        for (auto d = p->lib.descriptor.dependencies; d && *d; ++d)
            for (auto& q : plugins_)
                if (q.lib.name == *d && q.state == PluginState::Refused && p->state != PluginState::Refused)
                    refuse(*p, RefusalKind::Dependency, "depends on '" + q.lib.name + "', which was refused");
        if (p->state == PluginState::Refused) continue;

        p->host = makeHost(*p);
        char err[1024] = {0};
        void* state = nullptr;
        int rc = VTP_ERROR;
        try {
            rc = p->lib.descriptor.init(api, p->host.get(), &state, vtp_errbuf{err, sizeof err});
        } catch (...) {
            std::snprintf(err, sizeof err, "init threw an exception across the ABI");
        }
        if (rc != VTP_OK) {
            refuse(*p, RefusalKind::InitFailed, std::string("init failed: ") + (err[0] ? err : "no reason given"));
            continue;
        }
        p->pluginState = state;
        p->inited = true;
        p->state = PluginState::Initialised;
    }
}

void PluginLifecycle::startAll()
{
    for (auto* p : startOrder_) {
        if (p->state != PluginState::Initialised) continue;
        for (auto d = p->lib.descriptor.dependencies; d && *d; ++d)
            for (auto& q : plugins_)
                if (q.lib.name == *d && q.state != PluginState::Running && p->state != PluginState::Refused)
                    refuse(*p, RefusalKind::Dependency, "depends on '" + q.lib.name + "', which did not start");
        if (p->state == PluginState::Refused) continue;
        char err[1024] = {0};
        int rc = VTP_OK;
        if (p->lib.descriptor.start) {
            try {
                rc = p->lib.descriptor.start(p->pluginState, vtp_errbuf{err, sizeof err});
            } catch (...) {
                rc = VTP_ERROR;
            }
        }
        if (rc != VTP_OK) {
            refuse(*p, RefusalKind::StartFailed, std::string("start failed: ") + (err[0] ? err : "no reason given"));
            continue;
        }
        p->state = PluginState::Running;
        log_.info("loader", "plugin started", {{"plugin", p->lib.name}});
    }
}

void PluginLifecycle::stopAll()
{
    for (auto it = startOrder_.rbegin(); it != startOrder_.rend(); ++it) {
        PluginRuntime& p = **it;
        if (p.state != PluginState::Running) continue;
        if (p.lib.descriptor.stop) p.lib.descriptor.stop(p.pluginState);
        p.state = PluginState::Stopped;
        log_.info("loader", "plugin stopped", {{"plugin", p.lib.name}});
    }
}

void PluginLifecycle::destroyAll()
{
    // Plugins must be gone before the libraries holding their code are unloaded.
    for (auto it = startOrder_.rbegin(); it != startOrder_.rend(); ++it) {
        PluginRuntime& p = **it;
        if (p.inited && p.pluginState) {
            p.lib.descriptor.destroy(p.pluginState);
            p.pluginState = nullptr;
            p.inited = false;
        }
    }
}

void PluginLifecycle::refuse(PluginRuntime& p, RefusalKind kind, std::string reason)
{
    p.refusal = kind;
    p.reason = std::move(reason);
    forget_(p.lib.name);
    if (p.inited && p.pluginState) {
        // Never started or failed to start: it is still owed its destroy().
        if (p.state == PluginState::Running && p.lib.descriptor.stop) p.lib.descriptor.stop(p.pluginState);
        p.lib.descriptor.destroy(p.pluginState);
        p.pluginState = nullptr;
        p.inited = false;
    }
    p.state = PluginState::Refused;
    log_.error("loader", "plugin refused", {{"plugin", p.lib.name}, {"refusal", std::string(refusalKindName(kind))}, {"reason", p.reason}});
}

std::vector<PluginStatus> PluginLifecycle::status() const
{
    std::vector<PluginStatus> out;
    for (const auto& p : plugins_) {
        PluginStatus s;
        s.name = p.lib.name;
        s.path = p.lib.path;
        if (p.lib.ok()) {
            s.version = p.lib.descriptor.version ? p.lib.descriptor.version : "";
            s.abi = std::to_string(p.lib.descriptor.abi_major) + "." + std::to_string(p.lib.descriptor.abi_minor);
        }
        s.state = std::string(pluginStateName(p.state));
        if (p.state == PluginState::Refused) {
            s.refusal = std::string(refusalKindName(p.refusal));
            s.reason = p.reason;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> PluginLifecycle::names() const
{
    std::vector<std::string> names;
    for (const auto& p : plugins_) names.push_back(p.lib.name);
    return names;
}

} // namespace vtp::kernel
