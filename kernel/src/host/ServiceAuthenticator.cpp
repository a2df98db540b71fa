#include "host/ServiceAuthenticator.hpp"

#include <array>
#include <algorithm>
#include <string_view>

namespace vtp::kernel {

bool ServiceAuthenticator::verify(std::string_view token, Principal& out, std::string& reason)
{
    const vtp_verifier_v1* v = verifier_.load();
    if (!v || !v->verify) {
        reason = "no authentication provider is enabled on this server";
        return false;
    }
    if (token.size() > 8192) {
        reason = "token too long";
        return false;
    }
    // Left uninitialised on purpose: this runs on every authenticated request, and the verifier
    // writes NUL-terminated text (the first byte is cleared in case it writes nothing).
    std::array<char, 256> subject;
    std::array<char, 1024> roles;
    std::array<char, 256> why;
    subject[0] = roles[0] = why[0] = '\0';
    const int rc = v->verify(v->context, token.data(), token.size(), subject.data(), subject.size(), roles.data(), roles.size(), why.data(),
                             why.size());
    if (rc != VTP_OK) {
        reason = why[0] ? why.data() : "invalid token";
        return false;
    }
    out.subject = subject.data();
    out.roles.clear();
    const std::string_view all(roles.data());
    for (size_t start = 0; start <= all.size();) {
        const size_t comma = std::min(all.find(',', start), all.size());
        if (comma > start) out.roles.emplace_back(all.substr(start, comma - start));
        start = comma + 1;
    }
    return !out.subject.empty();
}

} // namespace vtp::kernel
