#include "loader/AbiCheck.hpp"

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

bool validName(const char* name)
{
    if (!name || !std::islower(static_cast<unsigned char>(name[0]))) return false;
    const size_t n = std::strlen(name);
    if (n > 64) return false;
    return std::all_of(name, name + n, [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string version(unsigned major, unsigned minor)
{
    return std::to_string(major) + "." + std::to_string(minor);
}

} // namespace

AbiVerdict checkDescriptor(const vtp_plugin_descriptor* d, const std::string& expectedName,
                           uint16_t kernelMajor, uint16_t kernelMinor)
{
    AbiVerdict v;
    auto refuse = [&](RefusalKind kind, std::string reason) {
        v.kind = kind;
        v.reason = std::move(reason);
        return v;
    };
    if (d == nullptr)
        return refuse(RefusalKind::BadDescriptor, "the entry point " VTP_PLUGIN_ENTRY_SYMBOL " returned no descriptor");
    if (d->struct_size < kHeaderSize)
        return refuse(RefusalKind::BadDescriptor, "descriptor struct_size " + std::to_string(d->struct_size) + " is smaller than its header");

    const std::string both = "plugin ABI " + version(d->abi_major, d->abi_minor) + ", kernel ABI " + version(kernelMajor, kernelMinor);
    if (d->build_signature != VTP_BUILD_SIGNATURE)
        return refuse(RefusalKind::AbiMismatch, "built for another platform (signature " + std::to_string(d->build_signature) +
                                                ", kernel " + std::to_string(VTP_BUILD_SIGNATURE) + ")");
    if (d->abi_major != kernelMajor)
        return refuse(RefusalKind::AbiMismatch, "ABI major version mismatch: " + both);
    if (d->abi_minor > kernelMinor)
        return refuse(RefusalKind::AbiMismatch, "built against a newer SDK than this kernel provides: " + both + "; upgrade vtpd");

    // Same major: copy what the plugin has into a zeroed struct of our size (fields it lacks stay 0).
    std::memcpy(&v.descriptor, d, std::min<size_t>(d->struct_size, sizeof v.descriptor));
    v.descriptor.struct_size = static_cast<uint32_t>(std::min<size_t>(d->struct_size, sizeof v.descriptor));
    const auto& c = v.descriptor;
    if (!VTP_HAS_FIELD(vtp_plugin_descriptor, destroy, d->struct_size))
        return refuse(RefusalKind::BadDescriptor, "descriptor is truncated (struct_size " + std::to_string(d->struct_size) + ") for " + both);
    if (!c.init) return refuse(RefusalKind::MissingCallback, "required callback 'init' is missing");
    if (!c.destroy) return refuse(RefusalKind::MissingCallback, "required callback 'destroy' is missing");
    if (!validName(c.name))
        return refuse(RefusalKind::BadDescriptor, "plugin name must match [a-z][a-z0-9_]{0,63}");
    if (std::strcmp(c.name, "kernel") == 0)
        return refuse(RefusalKind::BadDescriptor, "the name 'kernel' is reserved (it owns the kernel's own tables and routes)");
    if (expectedName != c.name)
        return refuse(RefusalKind::BadDescriptor, "file for '" + expectedName + "' declares the plugin name '" + c.name + "'");
    if (!c.version || !*c.version) return refuse(RefusalKind::BadDescriptor, "plugin declares no version");
    if (c.config_key_count && !c.config_keys) return refuse(RefusalKind::BadDescriptor, "config_key_count set without config_keys");
    if (c.migration_count && !c.migrations) return refuse(RefusalKind::BadDescriptor, "migration_count set without migrations");
    for (size_t i = 0; i < c.config_key_count; ++i)
        if (!c.config_keys[i].key || c.config_keys[i].struct_size < offsetof(vtp_config_key, choices))
            return refuse(RefusalKind::BadDescriptor, "config key " + std::to_string(i) + " is malformed");
    for (size_t i = 0; i < c.migration_count; ++i)
        if (!c.migrations[i].name || c.migrations[i].version <= 0 || (i && c.migrations[i].version <= c.migrations[i - 1].version))
            return refuse(RefusalKind::BadDescriptor, "migrations must have names and strictly increasing positive versions");
    return v;
}

} // namespace vtp::kernel
