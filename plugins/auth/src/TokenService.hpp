#pragma once

// Access tokens: JWTs signed with HS256 (a secret generated into the data directory) or
// RS256/ES256 (a PEM key from config). Every token names its key in `kid`; older keys listed in
// config keep verifying until their tokens have expired, so keys rotate without logging anyone out.

#include <vtp/json.hpp>

#include <Poco/JWT/Signer.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::auth {

struct TokenError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct AccessClaims {
    std::string subject;
    std::vector<std::string> roles;
    std::string sessionId;
    std::string jti;
    int64_t issuedAt = 0;
    int64_t expiresAt = 0;
};

struct TokenOptions {
    std::string algorithm = "HS256";        // HS256, RS256 or ES256
    std::string keyFile;                    // PEM private key (RS/ES), or a secret file (HS); empty: generated secret
    std::vector<std::string> previousKeyFiles; // verify only
    std::string generatedSecretPath;        // where the HS256 secret lives when keyFile is empty
    std::string issuer = "vtp";
    std::string audience = "vtp";
    int64_t accessTtlSeconds = 900;
    int64_t leewaySeconds = 30;
};

class TokenService {
public:
    explicit TokenService(const TokenOptions& options);
    ~TokenService();

    // A signed access token for `subject` with `roles` in session `sessionId`.
    std::string issue(const std::string& subject, const std::vector<std::string>& roles, const std::string& sessionId,
                      int64_t now, AccessClaims* claims = nullptr) const;
    // Checks signature, algorithm, key, issuer, audience and times; throws TokenError with a
    // short reason that never contains the token.
    AccessClaims verify(std::string_view token, int64_t now) const;
    // The public keys as a JWK Set (empty for HS256: its secret is never published).
    Json jwks() const;
    const std::string& signingKid() const;
    int64_t accessTtl() const { return options_.accessTtlSeconds; }
    int64_t leeway() const { return options_.leewaySeconds; }

    struct Key; // one signing or verifying key, defined in the .cpp

private:
    const Key* findKey(const std::string& kid) const;
    TokenOptions options_;
    std::vector<std::unique_ptr<Key>> keys_; // keys_[0] signs
};

} // namespace vtp::auth
