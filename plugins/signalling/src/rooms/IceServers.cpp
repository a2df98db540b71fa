#include "rooms/IceServers.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vtp::signalling {

std::string IceServers::turnPassword(const std::string& secret, const std::string& username)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(username.data()),
         username.size(), digest, &len);
    std::string out(4 * ((len + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
    out.resize(static_cast<size_t>(n));
    return out;
}

Json IceServers::forUser(const std::string& userId, int64_t nowSeconds) const
{
    Json list = Json::array();
    if (!options_.stunUrls.empty()) list.push(Json{{"urls", Json::arrayOf(options_.stunUrls)}});
    if (!options_.turnUrls.empty() && !options_.turnSecret.empty()) {
        const std::string username = std::to_string(nowSeconds + options_.turnTtlSeconds) + ":" + userId;
        list.push(Json{{"urls", Json::arrayOf(options_.turnUrls)},
                       {"username", username},
                       {"credential", turnPassword(options_.turnSecret, username)}});
    }
    return list;
}

} // namespace vtp::signalling
