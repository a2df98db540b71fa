#pragma once

#include "loader/PluginLibrary.hpp"
#include "vtp/abi.h"

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

class Logger;

enum class PluginState { Refused, Loaded, Initialised, Running, Stopped };
std::string_view pluginStateName(PluginState state);

struct PluginRuntime {
    PluginLibrary lib;
    PluginState state = PluginState::Loaded;
    RefusalKind refusal = RefusalKind::None;
    std::string reason;
    // The kernel's per-plugin handle (host/HostApi.hpp), made at init. A shared_ptr because the
    // loader never sees the type whole: the deleter comes from where it was made.
    std::shared_ptr<vtp_host> host;
    void* pluginState = nullptr;
    bool inited = false;
};

struct PluginStatus {
    std::string name;
    std::string version;
    std::string abi;     // "1.0"
    std::string state;   // "running", "refused", ...
    std::string refusal; // kind, when refused
    std::string reason;
    std::string path;
};

// The plugins' lifecycle: open each enabled library, order them by their dependencies, init them,
// start them in that order, stop them in reverse, destroy them before their libraries are unloaded.
// A plugin that fails a step is refused with its reason, and the plugins that need it with it.
// Driven from the kernel's main thread only; status() and names() may be called from any thread
// once loading is over (the list no longer changes).
class PluginLifecycle {
public:
    // `forget` drops everything a refused plugin registered with the kernel (routes, endpoints,
    // services...); `makeHost` makes a plugin's handle just before its init.
    using Forget = std::function<void(const std::string& name)>;
    using MakeHost = std::function<std::shared_ptr<vtp_host>(PluginRuntime& plugin)>;

    PluginLifecycle(Logger& log, Forget forget);
    ~PluginLifecycle(); // destroys the plugins still alive (destroyAll), then unloads the libraries
    PluginLifecycle(const PluginLifecycle&) = delete;
    PluginLifecycle& operator=(const PluginLifecycle&) = delete;

    // Opens DIR/NAME.so; a library that cannot be used is refused with its reason.
    PluginRuntime& open(const std::string& dir, const std::string& name);
    // Orders the plugins opened so far by their dependencies (refusing missing ones and cycles)
    // and logs each loaded plugin.
    void order();
    // Calls init() in start order; a plugin whose dependency was refused is refused too.
    void initAll(const vtp_host_api* api, const MakeHost& makeHost);
    // Calls start() in start order; a plugin whose dependency did not start is refused.
    void startAll();
    // Calls stop() on the running plugins, in reverse start order.
    void stopAll();
    // Calls destroy() on every plugin still initialised, in reverse start order.
    void destroyAll();
    // Refuses `p`: forgets what it registered, stops and destroys it if it got that far.
    void refuse(PluginRuntime& p, RefusalKind kind, std::string reason);

    // The plugins that were not refused when ordered, dependencies first.
    const std::vector<PluginRuntime*>& startOrder() const { return startOrder_; }
    std::vector<PluginStatus> status() const;
    // Every enabled plugin's name, refused ones included.
    std::vector<std::string> names() const;

private:
    Logger& log_;
    Forget forget_;
    std::list<PluginRuntime> plugins_; // std::list: vtp_host points into entries
    std::vector<PluginRuntime*> startOrder_;
};

} // namespace vtp::kernel
