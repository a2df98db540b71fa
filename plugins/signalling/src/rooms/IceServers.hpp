#pragma once

// The ICE servers a participant gets when joining: STUN URLs as configured, and TURN URLs with
// short-lived credentials made by the TURN REST API scheme that coturn's use-auth-secret
// expects: username "EXPIRY:USER", password base64(HMAC-SHA1(secret, username)).

#include <vtp/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vtp::signalling {

struct IceOptions {
    std::vector<std::string> stunUrls;
    std::vector<std::string> turnUrls;
    std::string turnSecret;
    int64_t turnTtlSeconds = 3600;
};

class IceServers {
public:
    explicit IceServers(IceOptions options) : options_(std::move(options)) {}
    // RTCIceServer objects for RTCPeerConnection's iceServers.
    Json forUser(const std::string& userId, int64_t nowSeconds) const;
    static std::string turnPassword(const std::string& secret, const std::string& username);

private:
    IceOptions options_;
};

} // namespace vtp::signalling
