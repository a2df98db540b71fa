#pragma once

#include "http/HttpPipeline.hpp"
#include "vtp/services/verifier.h"

#include <atomic>

namespace vtp::kernel {

// Authenticates bearer tokens through the "vtp.auth.verifier" service a plugin offers.
class ServiceAuthenticator : public Authenticator {
public:
    // Uses `verifier` (or none: NULL). False, and none bound, when its table is smaller than version
    // 1's (an incompatible auth plugin): the kernel then refuses every token.
    bool bind(const vtp_verifier_v1* verifier)
    {
        const bool fits = !verifier || verifier->struct_size >= VTP_VERIFIER_V1_SIZE;
        verifier_.store(fits ? verifier : nullptr);
        return fits;
    }
    bool available() const override { return verifier_.load() != nullptr; }
    bool verify(std::string_view token, Principal& out, std::string& reason) override;

private:
    std::atomic<const vtp_verifier_v1*> verifier_{nullptr};
};

} // namespace vtp::kernel
