#pragma once

// Small helpers shared by the test suites. Header-only; link the INTERFACE target
// vtp_test_support.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace vtp::test {

// Thrown when the test environment is not what the test needs; gtest reports it as a failure.
class TestEnvironmentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void writeFile(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// The URL of the test PostgreSQL server started by the ctest fixture `postgres`
// (tests/support/postgres.sh). Tests needing PostgreSQL must never silently skip: when the
// fixture is missing this records a failure and throws, which fails the calling test.
inline std::string postgresUrl()
{
    const char* file = std::getenv("VTP_TEST_PG_URL_FILE");
    std::string message;
    if (file == nullptr || *file == '\0') {
        message = "VTP_TEST_PG_URL_FILE is not set: run this test through ctest so that the "
                  "'postgres' fixture starts PostgreSQL (or start it with "
                  "tests/support/postgres.sh start DIR and export VTP_TEST_PG_URL_FILE=DIR/url)";
    } else {
        try {
            std::string url = readFile(file);
            while (!url.empty() && (url.back() == '\n' || url.back() == '\r' || url.back() == ' ')) url.pop_back();
            if (!url.empty()) return url;
            message = std::string("VTP_TEST_PG_URL_FILE (") + file + ") is empty";
        } catch (const std::exception& e) {
            message = std::string("cannot read the PostgreSQL URL from VTP_TEST_PG_URL_FILE: ") + e.what() +
                      " (did the postgres_start fixture fail?)";
        }
    }
    ADD_FAILURE() << message;
    throw TestEnvironmentError(message);
}

// A loopback TCP (or, with SOCK_DGRAM, UDP: SRT) port that was free a moment ago (bound to port
// 0 and read back).
inline uint16_t freeLoopbackPort(int type = SOCK_STREAM)
{
    int fd = ::socket(AF_INET, type, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(), "bind/getsockname");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A fresh directory under /tmp, removed recursively with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "vtp-test")
    {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // path() + "/" + name
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

} // namespace vtp::test
