#include "webhooks/WebhookSignature.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>

namespace vtp::kernel {

namespace {

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE and DIGEST_SIZE that HMACEngine needs.
class Sha256Engine : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

} // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view message)
{
    const std::string keyText(key);
    Poco::HMACEngine<Sha256Engine> hmac(keyText);
    hmac.update(message.data(), message.size());
    return Poco::DigestEngine::digestToHex(hmac.digest());
}

std::string webhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body)
{
    std::string message;
    message.reserve(timestamp.size() + 1 + body.size());
    message.append(timestamp).append(".").append(body);
    return "sha256=" + hmacSha256Hex(secret, message);
}

std::string generateWebhookSecret()
{
    Poco::RandomInputStream random;
    unsigned char bytes[32];
    random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes, bytes + sizeof bytes));
}

} // namespace vtp::kernel
