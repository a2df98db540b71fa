#include "ids/Uuid.hpp"

#include <Poco/UUIDGenerator.h>

#include <sys/random.h>

#include <cstring>

namespace vtp::kernel {

namespace {

// 256 UUIDs' worth of the kernel's random bytes per getrandom() call, per thread: one system call
// per request was a thirteenth of the calls of a small file's request. Bytes handed out are wiped
// from the buffer, so nothing about an id already given is left to read.
struct RandomPool {
    unsigned char bytes[4096];
    size_t next = sizeof bytes;

    bool take(unsigned char* out, size_t n)
    {
        if (next + n > sizeof bytes) {
            if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) return false;
            next = 0;
        }
        std::memcpy(out, bytes + next, n);
        std::memset(bytes + next, 0, n);
        next += n;
        return true;
    }
};

} // namespace

std::string randomUuid()
{
    thread_local RandomPool pool;
    unsigned char b[16];
    if (!pool.take(b, sizeof b)) return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
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
