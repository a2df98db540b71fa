#pragma once

#include "http/HttpPipeline.hpp"
#include "vtp/services/verifier.h"

#include <atomic>

namespace vtp::kernel {

// Authenticates bearer tokens through the "vtp.auth.verifier" service a plugin offers.
class ServiceAuthenticator : public Authenticator {
public:
    void bind(const vtp_verifier_v1* verifier) { verifier_.store(verifier); }
    bool available() const override { return verifier_.load() != nullptr; }
    bool verify(std::string_view token, Principal& out, std::string& reason) override;

private:
    std::atomic<const vtp_verifier_v1*> verifier_{nullptr};
};

} // namespace vtp::kernel
