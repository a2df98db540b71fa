#pragma once

#include "vtp/abi.h"

#include <array>
#include <string>

namespace vtp::detail {

// The pair every host call needs.
struct HostRef {
    const vtp_host_api* api = nullptr;
    vtp_host* host = nullptr;
};

// A stack buffer for error text coming back across the ABI.
struct ErrorText {
    std::array<char, 512> buf{};
    vtp_errbuf view()
    {
        buf[0] = '\0';
        return vtp_errbuf{buf.data(), buf.size()};
    }
    std::string str() const { return std::string(buf.data()); }
};

inline void copyError(vtp_errbuf err, const std::string& text)
{
    if (err.data == nullptr || err.cap == 0) return;
    const size_t n = text.size() < err.cap - 1 ? text.size() : err.cap - 1;
    text.copy(err.data, n);
    err.data[n] = '\0';
}

} // namespace vtp::detail
