#pragma once

#include "vtp/abi.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vtp::kernel {

// Why a plugin was not loaded. Operators see the name and the text.
enum class RefusalKind {
    None,
    CannotOpen,
    MissingSymbol,
    AbiMismatch,
    MissingCallback,
    BadDescriptor,
    Dependency,
    MigrationFailed,
    InitFailed,
    StartFailed,
};
std::string_view refusalKindName(RefusalKind kind); // "cannot-open", "missing-symbol", ...

struct AbiVerdict {
    RefusalKind kind = RefusalKind::None;
    std::string reason;
    // Zero-filled, then the plugin's bytes up to its struct_size. config_keys and migrations are
    // NULL: read the copies below, which were stepped by the plugin's own element size.
    vtp_plugin_descriptor descriptor{};
    std::vector<vtp_config_key> configKeys; // each a zeroed kernel-sized copy of the plugin's
    std::vector<vtp_migration> migrations;
};

// Checks a descriptor the entry symbol returned, against the kernel's ABI version.
// `kernelMajor`/`kernelMinor` are parameters so that tests can pretend to be another kernel.
AbiVerdict checkDescriptor(const vtp_plugin_descriptor* descriptor, const std::string& expectedName, uint16_t kernelMajor = VTP_ABI_MAJOR,
                           uint16_t kernelMinor = VTP_ABI_MINOR);

} // namespace vtp::kernel
