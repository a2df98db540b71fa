#pragma once

// Access tokens: JWTs signed with HS256 (a secret generated into the data directory) or
// RS256/ES256 (a PEM key from config). Every token names its key in `kid`; older keys listed in
// config keep verifying until their tokens have expired, so keys rotate without logging anyone out.

#include <vtp/json.hpp>

#include <Poco/Crypto/OpenSSLInitializer.h>
#include <Poco/JWT/Signer.h>

#include <array>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
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
    std::string rolesJoined; // "a,b": what the kernel's verifier hands on
};
// Shared, immutable: a cached token's claims are handed out without copying their strings.
using ClaimsPtr = std::shared_ptr<const AccessClaims>;

struct TokenOptions {
    std::string algorithm = "HS256";           // HS256, RS256 or ES256
    std::string keyFile;                       // PEM private key (RS/ES), or a secret file (HS); empty: generated secret
    std::vector<std::string> previousKeyFiles; // verify only
    std::string generatedSecretPath;           // where the HS256 secret lives when keyFile is empty
    std::string issuer = "vtp";
    std::string audience = "vtp";
    int64_t accessTtlSeconds = 900;
    int64_t leewaySeconds = 30;
    size_t cacheEntries = 65536; // verified tokens remembered (0: none)
};

class TokenService {
public:
    explicit TokenService(const TokenOptions& options);
    ~TokenService();

    // A signed access token for `subject` with `roles` in session `sessionId`.
    std::string issue(const std::string& subject, const std::vector<std::string>& roles, const std::string& sessionId, int64_t now,
                      AccessClaims* claims = nullptr) const;
    // Checks signature, algorithm, key, issuer, audience and times; throws TokenError with a
    // short reason that never contains the token.
    ClaimsPtr verify(std::string_view token, int64_t now) const;
    // The public keys as a JWK Set (empty for HS256: its secret is never published).
    Json jwks() const;
    const std::string& signingKid() const;
    int64_t accessTtl() const { return options_.accessTtlSeconds; }
    int64_t leeway() const { return options_.leewaySeconds; }

    struct Key; // one signing or verifying key, defined in the .cpp

private:
    const Key* findKey(const std::string& kid) const;
    // Poco 1.11 counts OpenSSL users and tears OpenSSL down when the count drops to zero; each
    // digest holds a count, so concurrent verifications raced that teardown (a crash under load).
    // One count held for the service's life keeps it from ever reaching zero.
    Poco::Crypto::OpenSSLInitializer openSsl_;
    AccessClaims verifyUncached(std::string_view token, int64_t now) const;

    // A client sends the same token with every request for its lifetime, so a token that verified
    // once is remembered (with its claims) until it expires: the signature and JSON work is done
    // once per token, not per request. Expiry is still checked on every call; revocation is the
    // caller's, also on every call. Sharded so that request threads rarely meet on one lock.
    struct TransparentHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct CacheShard {
        mutable std::shared_mutex mutex;
        std::unordered_map<std::string, ClaimsPtr, TransparentHash, std::equal_to<>> entries;
    };
    static constexpr size_t kShards = 16;
    mutable std::array<CacheShard, kShards> cache_;
    TokenOptions options_;
    std::vector<std::unique_ptr<Key>> keys_; // keys_[0] signs
};

} // namespace vtp::auth
