#include "TokenService.hpp"

#include "CryptoUtil.hpp"

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Token.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <fstream>
#include <sstream>

namespace vtp::auth {

struct TokenService::Key {
    std::string kid;
    std::string algorithm;
    Poco::JWT::Signer signer;
    Json jwk; // public JWK, null for HMAC keys
};

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read key file " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string trim(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// Creates a 256-bit secret with mode 0600 on first start; O_EXCL so two nodes sharing a data
// directory (or a racing restart) never overwrite one another's secret.
std::string loadOrCreateSecret(const std::string& path)
{
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    if (!std::filesystem::exists(path)) {
        const std::string secret = randomToken(32);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const bool ok = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) && ::fsync(fd) == 0;
            ::close(fd);
            if (!ok) throw std::runtime_error("cannot write " + path);
        } else if (errno != EEXIST) {
            throw std::runtime_error("cannot create " + path);
        }
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        throw std::runtime_error(path + " must not be readable by group or others (chmod 600)");
    std::string secret = trim(readFile(path));
    if (secret.size() < 32) throw std::runtime_error("the HS256 secret in " + path + " is shorter than 32 bytes");
    return secret;
}

std::string bytesToBase64Url(const std::vector<unsigned char>& v)
{
    return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
}

std::string bnToBase64Url(const BIGNUM* bn, int width)
{
    std::vector<unsigned char> buf(static_cast<size_t>(width > 0 ? width : BN_num_bytes(bn)));
    if (BN_bn2binpad(bn, buf.data(), static_cast<int>(buf.size())) < 0) throw std::runtime_error("key parameter too large");
    return bytesToBase64Url(buf);
}

// Key id: a short hash of the public key (or of the secret), stable across restarts.
std::string kidOf(const std::string& material)
{
    return sha256Hex(material).substr(0, 16);
}

std::unique_ptr<TokenService::Key> makeHmacKey(const std::string& secret)
{
    auto k =
        std::unique_ptr<TokenService::Key>(new TokenService::Key{kidOf("hs256:" + secret), "HS256", Poco::JWT::Signer(secret), Json()});
    k->signer.setAlgorithms({Poco::JWT::Signer::ALGO_HS256});
    return k;
}

} // namespace

static std::unique_ptr<TokenService::Key> loadPemKey(const std::string& path, const std::string& wantAlgorithm)
{
    const std::string pem = readFile(path);
    const bool isPrivate = pem.find("PRIVATE KEY-----") != std::string::npos;
    if (pem.find("-----BEGIN") == std::string::npos) return nullptr;
    std::istringstream in1(pem), in2(pem);
    // Poco tells RSA and EC apart only by trying; the algorithm names what was asked for.
    if (wantAlgorithm == "RS256" || wantAlgorithm.empty()) {
        try {
            Poco::SharedPtr<Poco::Crypto::RSAKey> rsa =
                isPrivate ? new Poco::Crypto::RSAKey(nullptr, &in1) : new Poco::Crypto::RSAKey(&in1);
            std::ostringstream pub;
            rsa->save(&pub);
            Json jwk{{"kty", "RSA"},
                     {"use", "sig"},
                     {"alg", "RS256"},
                     {"kid", kidOf(pub.str())},
                     {"n", bytesToBase64Url(rsa->modulus())},
                     {"e", bytesToBase64Url(rsa->encryptionExponent())}};
            auto k = std::unique_ptr<TokenService::Key>(new TokenService::Key{kidOf(pub.str()), "RS256", Poco::JWT::Signer(rsa), jwk});
            k->signer.setAlgorithms({Poco::JWT::Signer::ALGO_RS256});
            return k;
        } catch (const Poco::Exception&) {
            if (wantAlgorithm == "RS256") throw std::runtime_error(path + " is not an RSA key in PEM form");
        }
    }
    try {
        Poco::SharedPtr<Poco::Crypto::ECKey> ec = isPrivate ? new Poco::Crypto::ECKey(nullptr, &in2) : new Poco::Crypto::ECKey(&in2);
        std::ostringstream pub;
        ec->save(&pub);
        // OpenSSL's own parse of the PEM gives a provider key whose point can be read by name.
        BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
        EVP_PKEY* raw =
            isPrivate ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        BIGNUM* x = nullptr;
        BIGNUM* y = nullptr;
        char group[64] = {0};
        size_t groupLen = 0;
        const bool ok = raw && EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                        EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
                        EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &groupLen) == 1;
        EVP_PKEY_free(raw);
        if (!ok || std::string(group) != "prime256v1") {
            BN_free(x);
            BN_free(y);
            throw std::runtime_error(path + ": ES256 needs a P-256 (prime256v1) key" +
                                     (group[0] ? std::string(", found ") + group : std::string()));
        }
        Json jwk{{"kty", "EC"},
                 {"use", "sig"},
                 {"alg", "ES256"},
                 {"kid", kidOf(pub.str())},
                 {"crv", "P-256"},
                 {"x", bnToBase64Url(x, 32)},
                 {"y", bnToBase64Url(y, 32)}};
        BN_free(x);
        BN_free(y);
        auto k = std::unique_ptr<TokenService::Key>(new TokenService::Key{kidOf(pub.str()), "ES256", Poco::JWT::Signer(ec), jwk});
        k->signer.setAlgorithms({Poco::JWT::Signer::ALGO_ES256});
        return k;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error(path + " is not an RSA or P-256 EC key in PEM form: " + e.displayText());
    }
}

TokenService::TokenService(const TokenOptions& options) : options_(options)
{
    if (options_.algorithm == "HS256") {
        const std::string secret =
            options_.keyFile.empty() ? loadOrCreateSecret(options_.generatedSecretPath) : trim(readFile(options_.keyFile));
        if (secret.size() < 32) throw std::runtime_error("the HS256 secret must have at least 32 bytes");
        keys_.push_back(makeHmacKey(secret));
    } else if (options_.algorithm == "RS256" || options_.algorithm == "ES256") {
        if (options_.keyFile.empty()) throw std::runtime_error("tokens.key_file is required for " + options_.algorithm);
        if (readFile(options_.keyFile).find("PRIVATE KEY-----") == std::string::npos)
            throw std::runtime_error(options_.keyFile + " holds no private key; the signing key must be private");
        keys_.push_back(loadPemKey(options_.keyFile, options_.algorithm));
    } else {
        throw std::runtime_error("unsupported token algorithm " + options_.algorithm);
    }
    for (const auto& path : options_.previousKeyFiles) {
        auto key = loadPemKey(path, "");
        if (!key) key = makeHmacKey(trim(readFile(path)));
        if (!findKey(key->kid)) keys_.push_back(std::move(key));
    }
}

TokenService::~TokenService() = default;

const std::string& TokenService::signingKid() const
{
    return keys_.front()->kid;
}

const TokenService::Key* TokenService::findKey(const std::string& kid) const
{
    for (const auto& k : keys_)
        if (k->kid == kid) return k.get();
    return nullptr;
}

std::string TokenService::issue(const std::string& subject, const std::vector<std::string>& roles, const std::string& sessionId,
                                int64_t now, AccessClaims* claims) const
{
    const Key& key = *keys_.front();
    Poco::JWT::Token token;
    token.setType("JWT");
    token.header().set("kid", key.kid);
    token.setIssuer(options_.issuer);
    token.setAudience(options_.audience);
    token.setSubject(subject);
    const std::string jti = randomUuid();
    token.setId(jti);
    // Whole seconds: Poco's Timestamp claims would be fractional.
    token.payload().set("iat", static_cast<Poco::Int64>(now));
    token.payload().set("exp", static_cast<Poco::Int64>(now + options_.accessTtlSeconds));
    token.payload().set("sid", sessionId);
    Poco::JSON::Array::Ptr r = new Poco::JSON::Array;
    std::string joined;
    for (const auto& role : roles) {
        r->add(role);
        joined += (joined.empty() ? "" : ",") + role;
    }
    token.payload().set("roles", r);
    if (claims) *claims = AccessClaims{subject, roles, sessionId, jti, now, now + options_.accessTtlSeconds, joined};
    return key.signer.sign(token, key.algorithm);
}

namespace {

Poco::JSON::Object::Ptr decodeSegment(std::string_view segment)
{
    const auto json = base64UrlDecode(segment);
    if (!json || json->empty() || json->front() != '{') throw TokenError("malformed token");
    try {
        auto v = Poco::JSON::Parser().parse(*json);
        auto o = v.extract<Poco::JSON::Object::Ptr>();
        if (!o) throw TokenError("malformed token");
        return o;
    } catch (const Poco::Exception&) {
        throw TokenError("malformed token");
    }
}

int64_t intClaim(const Poco::JSON::Object& o, const char* name)
{
    const auto v = o.get(name);
    if (v.isEmpty() || !v.isInteger()) throw TokenError(std::string("token has no valid '") + name + "' claim");
    return v.convert<Poco::Int64>();
}

} // namespace

ClaimsPtr TokenService::verify(std::string_view token, int64_t now) const
{
    auto check = [&](const ClaimsPtr& c) {
        if (now > c->expiresAt + options_.leewaySeconds) throw TokenError("token expired");
        if (c->issuedAt > now + options_.leewaySeconds) throw TokenError("token issued in the future");
        return c;
    };
    if (options_.cacheEntries == 0) return std::make_shared<const AccessClaims>(verifyUncached(token, now));
    CacheShard& shard = cache_[TransparentHash{}(token) % kShards];
    {
        std::shared_lock lock(shard.mutex);
        if (auto it = shard.entries.find(token); it != shard.entries.end()) return check(it->second);
    }
    auto claims = std::make_shared<const AccessClaims>(verifyUncached(token, now));
    std::unique_lock lock(shard.mutex);
    if (shard.entries.size() >= options_.cacheEntries / kShards + 1) {
        // Full: drop what has expired, and everything if that was not enough (simple, and rare).
        std::erase_if(shard.entries, [&](const auto& kv) { return now > kv.second->expiresAt + options_.leewaySeconds; });
        if (shard.entries.size() >= options_.cacheEntries / kShards + 1) shard.entries.clear();
    }
    shard.entries.emplace(std::string(token), claims);
    return claims;
}

AccessClaims TokenService::verifyUncached(std::string_view token, int64_t now) const
{
    const size_t dot1 = token.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot1 == std::string_view::npos || dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos ||
        dot2 + 1 >= token.size())
        throw TokenError("malformed token");
    // Only canonical base64url: a token that differs in unused padding bits is not the same token.
    if (!base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1)) || !base64UrlDecode(token.substr(dot2 + 1)))
        throw TokenError("malformed token");
    Poco::JSON::Object::Ptr header;
    try {
        header = decodeSegment(token.substr(0, dot1));
    } catch (const TokenError&) {
        throw;
    } catch (const std::exception&) {
        throw TokenError("malformed token");
    }
    const std::string alg = header->optValue<std::string>("alg", "");
    const std::string kid = header->optValue<std::string>("kid", "");
    // The key named by kid decides the one algorithm allowed: no "none", no HS256 token checked
    // with an RSA public key as its secret (algorithm confusion).
    const Key* key = findKey(kid);
    if (!key) throw TokenError(kid.empty() ? "token names no key" : "token signed with an unknown key");
    if (alg != key->algorithm) throw TokenError("token algorithm not allowed");
    Poco::JWT::Token parsed;
    try {
        if (!key->signer.tryVerify(std::string(token), parsed)) throw TokenError("invalid token signature");
    } catch (const TokenError&) {
        throw;
    } catch (const std::exception&) {
        throw TokenError("invalid token signature");
    }
    const auto& p = parsed.payload();
    AccessClaims c;
    try {
        if (p.optValue<std::string>("iss", "") != options_.issuer) throw TokenError("wrong token issuer");
        const auto aud = parsed.getAudience();
        if (std::find(aud.begin(), aud.end(), options_.audience) == aud.end()) throw TokenError("wrong token audience");
        c.expiresAt = intClaim(p, "exp");
        c.issuedAt = intClaim(p, "iat");
        if (now > c.expiresAt + options_.leewaySeconds) throw TokenError("token expired");
        if (c.issuedAt > now + options_.leewaySeconds) throw TokenError("token issued in the future");
        if (p.has("nbf") && intClaim(p, "nbf") > now + options_.leewaySeconds) throw TokenError("token not yet valid");
        c.subject = p.optValue<std::string>("sub", "");
        c.sessionId = p.optValue<std::string>("sid", "");
        c.jti = p.optValue<std::string>("jti", "");
        if (c.subject.empty() || c.sessionId.empty() || c.jti.empty()) throw TokenError("token lacks a required claim");
        if (auto roles = p.getArray("roles"))
            for (size_t i = 0; i < roles->size(); ++i) {
                c.roles.push_back(roles->getElement<std::string>(static_cast<unsigned>(i)));
                c.rolesJoined += (i ? "," : "") + c.roles.back();
            }
    } catch (const TokenError&) {
        throw;
    } catch (const std::exception&) {
        throw TokenError("token claims are malformed");
    }
    return c;
}

Json TokenService::jwks() const
{
    Json keys = Json::array();
    for (const auto& k : keys_)
        if (!k->jwk.isNull()) keys.push(k->jwk);
    return Json{{"keys", keys}};
}

} // namespace vtp::auth
