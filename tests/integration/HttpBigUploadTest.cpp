// A 4 GiB body streamed to a file through testkit's upload route: every byte arrives (size and
// checksum), in 64-bit lengths, and vtpd never holds the body in memory. Its own CTest label
// (big): it writes 4 GiB to the disk and takes seconds.
#include "IntegrationSupport.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace vtp::test;

namespace {

// A 64-bit checksum over 8-byte words, in four independent lanes so that it runs near memory speed.
class Checksum {
public:
    void add(const char* p, size_t n)
    {
        // Every call but the last gets a multiple of 32 bytes (the test's blocks are).
        size_t i = 0;
        for (; i + 32 <= n; i += 32)
            for (int l = 0; l < 4; ++l) {
                uint64_t w;
                std::memcpy(&w, p + i + 8 * l, 8);
                lane_[l] = (lane_[l] ^ w) * 0x100000001b3ull;
            }
        for (; i < n; ++i) lane_[0] = (lane_[0] ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ull;
    }
    uint64_t value() const { return lane_[0] ^ (lane_[1] << 1) ^ (lane_[2] << 2) ^ (lane_[3] << 3); }

private:
    uint64_t lane_[4] = {0xcbf29ce484222325ull, 1, 2, 3};
};

long peakResidentKiB(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

} // namespace

TEST(HttpBigUpload, FourGibibyteBodyIsStreamedToAFileIntact)
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit"};
    o.extraToml = "[plugins.testkit]\nverifier = true\n";
    VtpdProcess vtpd(o);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();

    // Past 2^32, so that a 32-bit length anywhere would show; not a multiple of the block.
    const uint64_t total = (4ull << 30) + 12345;
    constexpr size_t kBlock = 4 << 20;
    std::string block(kBlock, '\0');
    std::mt19937_64 random(14);
    for (size_t i = 0; i < kBlock; i += 8) {
        const uint64_t w = random();
        std::memcpy(block.data() + i, &w, 8);
    }

    RawHttpConnection c(vtpd.httpPort());
    c.send("PUT /api/v1/testkit/upload/big HTTP/1.1\r\nHost: x\r\nAuthorization: " + testkitToken("ann", "uploader") +
           "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
    Checksum sent;
    const int fd = c.socket().impl()->sockfd();
    uint64_t left = total, index = 0;
    while (left > 0) {
        // Each block differs (its first word is its index), so a lost or repeated block shows.
        std::memcpy(block.data(), &index, 8);
        ++index;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kBlock));
        sent.add(block.data(), n);
        size_t off = 0;
        while (off < n) {
            const ssize_t w = ::send(fd, block.data() + off, n - off, MSG_NOSIGNAL);
            ASSERT_GT(w, 0) << "the server stopped reading after " << (total - left + off) << " bytes: " << std::strerror(errno);
            off += static_cast<size_t>(w);
        }
        left -= n;
    }
    auto r = c.readResponse();
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<uint64_t>("bytes"), total);

    const std::string path = vtpd.dir() + "/data/uploads/big";
    EXPECT_EQ(std::filesystem::file_size(path), total);
    Checksum stored;
    {
        const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(in, 0);
        std::string buf(kBlock, '\0');
        ssize_t n;
        while ((n = ::read(in, buf.data(), buf.size())) > 0) stored.add(buf.data(), static_cast<size_t>(n));
        ::close(in);
    }
    EXPECT_EQ(stored.value(), sent.value());
    std::filesystem::remove(path);
    // The body went through in pieces: vtpd's peak memory stayed far below its size.
    EXPECT_LT(peakResidentKiB(vtpd.pid()), 256 * 1024);
}
