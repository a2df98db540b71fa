#pragma once

// C++ over the token verifier service (vtp/services/verifier.h), for plugins that authenticate
// their own connections (a socket protocol the kernel cannot read): find it after init, then
// check a bearer token.

#include "vtp/plugin.hpp"
#include "vtp/services/verifier.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp {

// "a,b,c" as {"a", "b", "c"}, empty items left out (roles travel this way across the ABI).
inline std::vector<std::string> splitCommaList(std::string_view list)
{
    std::vector<std::string> out;
    for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) out.emplace_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

struct VerifiedToken {
    std::string subject;
    std::vector<std::string> roles;
    std::string sessionId; // the login the token belongs to ("" from a verifier older than 1.5)
    int64_t expiresAt = 0; // unix seconds (0: not told, from a verifier older than 1.5)
};

class TokenVerifier {
public:
    TokenVerifier() = default; // refuses every token until found
    // The offered verifier, or one that refuses every token if no plugin offers it.
    static TokenVerifier find(const Host& host)
    {
        return TokenVerifier(host.find<vtp_verifier_v1>(VTP_VERIFIER_SERVICE, VTP_VERIFIER_VERSION, VTP_VERIFIER_V1_SIZE));
    }
    bool available() const { return table_ != nullptr; }

    // The token's user and roles, or nothing with a short reason in `reason`.
    std::optional<VerifiedToken> verify(std::string_view token, std::string& reason) const
    {
        if (!table_) {
            reason = "no authentication provider is enabled on this server";
            return std::nullopt;
        }
        std::array<char, 256> subject{};
        std::array<char, 1024> roles{};
        std::array<char, 256> why{};
        std::array<char, 256> session{};
        int64_t expiresAt = 0;
        const int rc = hasSessions() ? table_->verify_session(table_->context, token.data(), token.size(), subject.data(), subject.size(),
                                                              roles.data(), roles.size(), session.data(), session.size(), &expiresAt,
                                                              why.data(), why.size())
                                     : table_->verify(table_->context, token.data(), token.size(), subject.data(), subject.size(),
                                                      roles.data(), roles.size(), why.data(), why.size());
        if (rc != VTP_OK || !subject[0]) {
            reason = why[0] ? why.data() : "invalid token";
            return std::nullopt;
        }
        return VerifiedToken{subject.data(), splitCommaList(roles.data()), session.data(), expiresAt};
    }

    // Whether the verifier tells sessions and expiry (1.5) and answers sessionRevoked.
    bool hasSessions() const { return tableHas(table_, &vtp_verifier_v1::verify_session); }
    // True if the session was revoked; false when not, or when the verifier cannot tell.
    bool sessionRevoked(std::string_view sessionId) const
    {
        if (!tableHas(table_, &vtp_verifier_v1::session_revoked)) return false;
        return table_->session_revoked(table_->context, sessionId.data(), sessionId.size()) == 1;
    }

private:
    explicit TokenVerifier(const vtp_verifier_v1* t) : table_(t) {}
    const vtp_verifier_v1* table_ = nullptr;
};

} // namespace vtp
