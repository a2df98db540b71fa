#include "ids/Uuid.hpp"

#include <Poco/UUIDGenerator.h>

#include <sys/random.h>

namespace vtp::kernel {

std::string randomUuid()
{
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b))
        return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (size_t i = 0; i < sizeof b; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
        id.push_back(hex[b[i] >> 4]);
        id.push_back(hex[b[i] & 0x0f]);
    }
    return id;
}

} // namespace vtp::kernel
