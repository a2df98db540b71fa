#include "host/ServiceAuthenticator.hpp"

#include <array>
#include <sstream>

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
    std::array<char, 256> subject{};
    std::array<char, 1024> roles{};
    std::array<char, 256> why{};
    const int rc = v->verify(v->context, token.data(), token.size(), subject.data(), subject.size(),
                             roles.data(), roles.size(), why.data(), why.size());
    if (rc != VTP_OK) {
        reason = why[0] ? why.data() : "invalid token";
        return false;
    }
    out.subject = subject.data();
    out.roles.clear();
    std::istringstream in(roles.data());
    for (std::string r; std::getline(in, r, ',');)
        if (!r.empty()) out.roles.push_back(r);
    return !out.subject.empty();
}

} // namespace vtp::kernel
