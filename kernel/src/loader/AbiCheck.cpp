#include "loader/AbiCheck.hpp"
#include "loader/AbiCopy.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace vtp::kernel {

std::string_view refusalKindName(RefusalKind kind)
{
    switch (kind) {
    case RefusalKind::None: return "none";
    case RefusalKind::CannotOpen: return "cannot-open";
    case RefusalKind::MissingSymbol: return "missing-symbol";
    case RefusalKind::AbiMismatch: return "abi-mismatch";
    case RefusalKind::MissingCallback: return "missing-callback";
    case RefusalKind::BadDescriptor: return "bad-descriptor";
    case RefusalKind::Dependency: return "dependency";
    case RefusalKind::MigrationFailed: return "migration-failed";
    case RefusalKind::InitFailed: return "init-failed";
    case RefusalKind::StartFailed: return "start-failed";
    }
    return "unknown";
}

namespace {

constexpr size_t kHeaderSize = offsetof(vtp_plugin_descriptor, build_signature) + sizeof(uint32_t);
// The fields every version of these structs has; later ones (a config key's choices, a migration's
// dialect scripts) are optional and read as NULL when the plugin's struct ends before them.
constexpr size_t kConfigKeyMinSize = offsetof(vtp_config_key, choices);
constexpr size_t kMigrationMinSize = offsetof(vtp_migration, sql_sqlite);

bool validName(const char* name)
{
    if (!name || !std::islower(static_cast<unsigned char>(name[0]))) return false;
    const size_t n = std::strlen(name);
    if (n > 64) return false;
    return std::all_of(name, name + n, [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
}

std::string version(unsigned major, unsigned minor)
{
    return std::to_string(major) + "." + std::to_string(minor);
}

} // namespace

AbiVerdict checkDescriptor(const vtp_plugin_descriptor* d, const std::string& expectedName, uint16_t kernelMajor, uint16_t kernelMinor)
{
    AbiVerdict v;
    auto refuse = [&](RefusalKind kind, std::string reason) {
        v.kind = kind;
        v.reason = std::move(reason);
        return v;
    };
    if (d == nullptr) return refuse(RefusalKind::BadDescriptor, "the entry point " VTP_PLUGIN_ENTRY_SYMBOL " returned no descriptor");
    if (d->struct_size < kHeaderSize)
        return refuse(RefusalKind::BadDescriptor,
                      "descriptor struct_size " + std::to_string(d->struct_size) + " is smaller than its header");

    const std::string both = "plugin ABI " + version(d->abi_major, d->abi_minor) + ", kernel ABI " + version(kernelMajor, kernelMinor);
    if (d->build_signature != VTP_BUILD_SIGNATURE)
        return refuse(RefusalKind::AbiMismatch, "built for another platform (signature " + std::to_string(d->build_signature) +
                                                    ", kernel " + std::to_string(VTP_BUILD_SIGNATURE) + ")");
    if (d->abi_major != kernelMajor) return refuse(RefusalKind::AbiMismatch, "ABI major version mismatch: " + both);
    if (d->abi_minor > kernelMinor)
        return refuse(RefusalKind::AbiMismatch, "built against a newer SDK than this kernel provides: " + both + "; upgrade vtpd");

    // Same major and an older or equal minor: no struct of the plugin's can be larger than ours.
    if (d->struct_size > sizeof v.descriptor)
        return refuse(RefusalKind::AbiMismatch, "descriptor is " + std::to_string(d->struct_size) + " bytes, larger than this kernel's (" +
                                                    std::to_string(sizeof v.descriptor) + "): built against a newer SDK than " + both +
                                                    " says; rebuild the plugin or upgrade vtpd");
    // Copy what the plugin has into a zeroed struct of our size (fields it lacks stay 0).
    v.descriptor = copyBySize(d);
    auto& c = v.descriptor;
    if (!VTP_HAS_FIELD(vtp_plugin_descriptor, destroy, d->struct_size))
        return refuse(RefusalKind::BadDescriptor,
                      "descriptor is truncated (struct_size " + std::to_string(d->struct_size) + ") for " + both);
    if (!c.init) return refuse(RefusalKind::MissingCallback, "required callback 'init' is missing");
    if (!c.destroy) return refuse(RefusalKind::MissingCallback, "required callback 'destroy' is missing");
    if (!validName(c.name)) return refuse(RefusalKind::BadDescriptor, "plugin name must match [a-z][a-z0-9_]{0,63}");
    if (std::strcmp(c.name, "kernel") == 0)
        return refuse(RefusalKind::BadDescriptor, "the name 'kernel' is reserved (it owns the kernel's own tables and routes)");
    if (expectedName != c.name)
        return refuse(RefusalKind::BadDescriptor, "file for '" + expectedName + "' declares the plugin name '" + c.name + "'");
    if (!c.version || !*c.version) return refuse(RefusalKind::BadDescriptor, "plugin declares no version");
    if (c.config_key_count && !c.config_keys) return refuse(RefusalKind::BadDescriptor, "config_key_count set without config_keys");
    if (c.migration_count && !c.migrations) return refuse(RefusalKind::BadDescriptor, "migration_count set without migrations");

    // The arrays are stepped by their elements' own struct_size and copied into kernel-sized structs;
    // the descriptor keeps no pointer into them, so nothing reads them at the kernel's stride.
    auto arrayRefusal = [&](const ArrayCopyError& e) {
        return e.newer ? refuse(RefusalKind::AbiMismatch,
                                e.text + ": built against a newer SDK than " + both + " says; rebuild the plugin or upgrade vtpd")
                       : refuse(RefusalKind::BadDescriptor, e.text);
    };
    if (auto e = copyArrayBySize(c.config_keys, c.config_key_count, kConfigKeyMinSize, "config key", v.configKeys)) return arrayRefusal(e);
    if (auto e = copyArrayBySize(c.migrations, c.migration_count, kMigrationMinSize, "migration", v.migrations)) return arrayRefusal(e);
    c.config_keys = nullptr;
    c.migrations = nullptr;
    for (size_t i = 0; i < v.configKeys.size(); ++i)
        if (!v.configKeys[i].key) return refuse(RefusalKind::BadDescriptor, "config key " + std::to_string(i) + " has no name");
    for (size_t i = 0; i < v.migrations.size(); ++i) {
        const auto& m = v.migrations[i];
        if (!m.name || m.version <= 0 || (i && m.version <= v.migrations[i - 1].version))
            return refuse(RefusalKind::BadDescriptor, "migrations must have names and strictly increasing positive versions");
    }
    return v;
}

} // namespace vtp::kernel
