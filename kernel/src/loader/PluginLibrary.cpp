#include "loader/PluginLibrary.hpp"

#include <boost/dll/shared_library.hpp>

#ifdef VTP_SANITIZED_BUILD
#include <dlfcn.h>
#endif

#include <filesystem>
#include <system_error>

namespace vtp::kernel {

PluginLibrary openPluginLibrary(const std::string& dir, const std::string& name)
{
    PluginLibrary p;
    p.name = name;
    p.path = (std::filesystem::path(dir) / (name + ".so")).string();
    auto refuse = [&](RefusalKind kind, std::string reason) {
        p.refusal = kind;
        p.reason = std::move(reason);
        p.library.reset();
        return p;
    };
    std::error_code fsErr;
    if (!std::filesystem::is_regular_file(p.path, fsErr)) return refuse(RefusalKind::CannotOpen, "no plugin file " + p.path);
    try {
        // RTLD_LOCAL keeps two plugins' private symbols apart; RTLD_NOW reports missing symbols here, not mid-request.
        p.library =
            std::make_shared<boost::dll::shared_library>(p.path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
    } catch (const std::exception& e) {
        return refuse(RefusalKind::CannotOpen, "cannot open " + p.path + ": " + e.what());
    }
#ifdef VTP_SANITIZED_BUILD
    // Sanitizer builds only: keep the code mapped after dlclose, so that a leak or error reported
    // at exit still names the plugin's functions instead of "<unknown module>".
    dlopen(p.path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE);
#endif
    if (!p.library->has(VTP_PLUGIN_ENTRY_SYMBOL))
        return refuse(RefusalKind::MissingSymbol,
                      p.path + " does not export " VTP_PLUGIN_ENTRY_SYMBOL " (not a VTP plugin, or built without VTP_PLUGIN())");
    const vtp_plugin_descriptor* d = nullptr;
    try {
        auto entry = p.library->get<const vtp_plugin_descriptor*()>(VTP_PLUGIN_ENTRY_SYMBOL);
        d = entry();
    } catch (const std::exception& e) {
        return refuse(RefusalKind::MissingSymbol, "cannot resolve " VTP_PLUGIN_ENTRY_SYMBOL ": " + std::string(e.what()));
    }
    AbiVerdict v = checkDescriptor(d, name);
    if (v.kind != RefusalKind::None) return refuse(v.kind, v.reason);
    p.descriptor = v.descriptor;
    p.configKeys = std::move(v.configKeys);
    p.migrations = std::move(v.migrations);
    return p;
}

} // namespace vtp::kernel
