#pragma once

// Shared by the host-table files: error text across the ABI, and the rule that no kernel
// exception ever unwinds into plugin code.

#include "vtp/abi.h"

#include <string_view>

namespace vtp::kernel {

// Copies text into the caller's buffer, truncated and NUL-terminated.
void copyError(vtp_errbuf err, std::string_view text) noexcept;

// Classifies the exception being handled (call only inside a catch block): writes its text to
// `err` and returns the matching status (DbError constraint → VTP_CONFLICT, JobError by code,
// EventError → VTP_INVALID, bad_alloc → VTP_NO_MEMORY, anything else → VTP_ERROR).
int statusOfCurrentException(vtp_errbuf err) noexcept;

// Runs f() and returns its status; an exception becomes a status and error text.
template <typename F>
int guarded(vtp_errbuf err, F&& f) noexcept
{
    try {
        return f();
    } catch (...) {
        return statusOfCurrentException(err);
    }
}

} // namespace vtp::kernel
