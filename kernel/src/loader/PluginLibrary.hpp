#pragma once

#include "loader/AbiCheck.hpp"

#include <memory>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace vtp::kernel {

// An opened plugin library whose descriptor passed the ABI check (or the reason it did not).
// The library stays loaded as long as this object lives.
struct PluginLibrary {
    std::string name;
    std::string path;
    RefusalKind refusal = RefusalKind::None;
    std::string reason;
    vtp_plugin_descriptor descriptor{};     // as AbiVerdict's: config_keys and migrations are NULL
    std::vector<vtp_config_key> configKeys; // the plugin's, each copied at its own size
    std::vector<vtp_migration> migrations;
    std::shared_ptr<boost::dll::shared_library> library;

    bool ok() const { return refusal == RefusalKind::None; }
};

// Opens DIR/NAME.so with Boost.DLL and checks its descriptor. Never throws.
PluginLibrary openPluginLibrary(const std::string& dir, const std::string& name);

} // namespace vtp::kernel
