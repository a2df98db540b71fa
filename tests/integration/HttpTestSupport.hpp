#pragma once

// What the HTTP tests share: one vtpd for a whole test suite (VtpdSuite), problem answers, and
// for the ABI 1.6 paths (files, streamed bodies, deferred answers) testkit's files and held
// answers, vtpd's in-flight count and the descriptors it holds on a file.

#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

namespace vtp::test {

// A fixture with one vtpd for the whole suite, started before its first test and stopped after its
// last. Derive as `class MySuite : public VtpdSuite<MySuite>` (each suite gets a vtpd of its own),
// and declare publicly what differs:
//   static VtpdOptions options();  // plugins, config, environment (default: hello and testkit)
//   static void started();         // prepared once vtpd runs (files in its data directory...)
template <class Suite>
class VtpdSuite : public ::testing::Test {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        return o;
    }
    static void started() {}

    static void SetUpTestSuite()
    {
        vtpd_ = std::make_unique<VtpdProcess>(Suite::options());
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
        Suite::started();
    }
    static void TearDownTestSuite() { vtpd_.reset(); }

protected:
    static uint16_t port() { return vtpd_->httpPort(); }

    static inline std::unique_ptr<VtpdProcess> vtpd_;
};

// A problem+json answer of `status` and type urn:vtp:problem:`type`, which names its request id
// (also an answer to a head the parser refused, so that it can be found in the log).
inline void expectProblem(const RawResponse& r, int status, const std::string& type)
{
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    ASSERT_FALSE(r.body.empty());
    auto j = r.json();
    EXPECT_EQ(j->getValue<std::string>("type"), "urn:vtp:problem:" + type) << r.body;
    EXPECT_EQ(j->getValue<int>("status"), status);
    EXPECT_FALSE(r.header("x-request-id").empty()) << r.body;
    EXPECT_EQ(j->optValue<std::string>("instance", ""), r.header("x-request-id")) << r.body;
}

// DATA/files/, where testkit's file routes look.
inline std::string filesDir(const VtpdProcess& vtpd)
{
    return vtpd.dir() + "/data/files";
}

inline void writeTestFile(const VtpdProcess& vtpd, const std::string& name, const std::string& bytes)
{
    std::filesystem::create_directories(filesDir(vtpd));
    std::ofstream(filesDir(vtpd) + "/" + name, std::ios::binary) << bytes;
}

// Bytes that differ at every offset modulo a large period, so that a misplaced range shows.
inline std::string patterned(size_t size)
{
    std::string s(size, '\0');
    std::mt19937 gen(42);
    for (auto& c : s) c = static_cast<char>(gen());
    return s;
}

// The inode of the server's end of the TCP connection between 127.0.0.1:serverPort and the
// client's clientPort: 0 once the server closed its descriptor (an orphaned socket has none),
// -1 when the kernel lists no such connection. Unlike a count of descriptors, nothing else the
// server opens or closes meanwhile changes it.
inline long serverSocketInode(uint16_t serverPort, uint16_t clientPort)
{
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line); // the header
    const auto portOf = [](const std::string& address) {
        return static_cast<uint16_t>(std::stoul(address.substr(address.find(':') + 1), nullptr, 16));
    };
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
        long inode = -1;
        fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
        if (fields && portOf(local) == serverPort && portOf(remote) == clientPort) return inode;
    }
    return -1;
}

// How many of process `pid`'s descriptors point at the file `path` (readlink of /proc/PID/fd/*;
// a file deleted meanwhile reads "PATH (deleted)"). Unlike a count of all its descriptors, what
// the server opens for anything else meanwhile (a pooled database connection, another client)
// does not change it.
inline size_t descriptorsOn(pid_t pid, const std::string& path)
{
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec).string();
    const std::string file = ec ? path : canonical;
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::error_code linkError; // a descriptor closed between listing and reading is skipped
        const auto target = std::filesystem::read_symlink(it->path(), linkError).string();
        if (!linkError && (target == file || target == file + " (deleted)")) ++n;
    }
    return n;
}

// Waits (up to `timeout`) until no descriptor of `pid` points at `path`; false if one still does.
inline bool noDescriptorOn(pid_t pid, const std::string& path, std::chrono::milliseconds timeout = std::chrono::seconds(10))
{
    return pollUntil([&] { return descriptorsOn(pid, path) == 0; }, timeout);
}

// How many answers testkit holds (GET /api/v1/testkit/hold), or -1.
inline int64_t heldByPlugin(VtpdProcess& vtpd)
{
    auto r = vtpd.get("/api/v1/testkit/held");
    return r.status == 200 ? Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<int64_t>("held") : -1;
}

// Completes every answer testkit holds; says how many went out ("completed") and how many had
// timed out or lost their client ("gone").
inline Poco::JSON::Object::Ptr releaseHeld(VtpdProcess& vtpd)
{
    auto r = vtpd.request("POST", "/api/v1/testkit/release");
    EXPECT_EQ(r.status, 200) << r.body;
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

// vtp_http_in_flight_requests as /metrics shows it (the /metrics request itself included).
inline double inFlight(VtpdProcess& vtpd)
{
    const auto body = vtpd.get("/metrics").body;
    const std::string name = "vtp_http_in_flight_requests ";
    const auto at = body.find("\n" + name);
    return at == std::string::npos ? -1 : std::stod(body.substr(at + 1 + name.size()));
}

} // namespace vtp::test
