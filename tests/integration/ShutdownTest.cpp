// Graceful shutdown of the real vtpd: SIGTERM lets in-flight requests finish, refuses new
// connections, stops the plugins and exits 0.
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

using namespace vtp::test;

namespace {

VtpdOptions withTestkit()
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit"};
    return o;
}

// Starts GET /api/v1/testkit/slow and returns once the handler is running (its marker file exists).
std::future<int> startSlowRequest(VtpdProcess& vtpd, std::atomic<bool>& done)
{
    const std::string marker = vtpd.dir() + "/data/slow-entered";
    auto result = std::async(std::launch::async, [&vtpd, &done] {
        int status = 0;
        try {
            status = vtpd.get("/api/v1/testkit/slow").status;
        } catch (const std::exception&) {
            status = -1;
        }
        done = true;
        return status;
    });
    EXPECT_TRUE(waitForFile(marker, -1, std::chrono::seconds(10))) << "the slow handler never started";
    return result;
}

// Tries to connect; true if the connection was refused.
bool connectionRefused(uint16_t port)
{
    try {
        Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
        return false;
    } catch (const Poco::Net::ConnectionRefusedException&) {
        return true;
    } catch (const Poco::Net::ConnectionResetException&) {
        return false; // queued just before the listener closed, then dropped with it
    }
}

} // namespace

// SIGTERM while /slow is in flight: wait until the listener is closed (vtpd is draining),
// then release the request. Returns whether new connections were refused during the drain.
bool terminateWhileInFlight(VtpdProcess& vtpd, std::atomic<bool>& done)
{
    const uint16_t port = vtpd.httpPort();
    if (::kill(vtpd.pid(), SIGTERM) != 0) return false;
    const bool refused = pollUntil([&] { return connectionRefused(port); }, std::chrono::seconds(10));
    EXPECT_FALSE(done) << "the slow request ended before it was released";
    writeFile(vtpd.dir() + "/data/slow-release", "go\n");
    return refused;
}

TEST(Shutdown, SigtermLetsInFlightRequestFinishAndExitsZero)
{
    VtpdProcess vtpd(withTestkit());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    std::atomic<bool> done{false};
    auto slow = startSlowRequest(vtpd, done);
    terminateWhileInFlight(vtpd, done);
    EXPECT_EQ(slow.get(), 200);
    EXPECT_EQ(vtpd.wait(), 0) << vtpd.logs();
    const std::string logs = vtpd.logs();
    EXPECT_NE(logs.find("plugin stopped"), std::string::npos) << logs;
    EXPECT_NE(logs.find("\"drained\":\"true\""), std::string::npos) << logs;
}

TEST(Shutdown, NewConnectionsAreRefusedWhileDraining)
{
    VtpdProcess vtpd(withTestkit());
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    std::atomic<bool> done{false};
    auto slow = startSlowRequest(vtpd, done);
    EXPECT_TRUE(terminateWhileInFlight(vtpd, done));
    EXPECT_EQ(slow.get(), 200);
    EXPECT_EQ(vtpd.wait(), 0) << vtpd.logs();
}
