// Deferred responses (ABI 1.6) from the wire: testkit's /hold answers later, completed from a
// plugin thread (/release), on its timeout with the kernel's 504 or the handler's fallback, and
// a client that leaves while held is noticed. Thousands are held at once with no worker each.
#include "HttpTestSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <fstream>

using namespace vtp::test;

namespace {

long threadsOf(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Threads:", 0) == 0) return std::stol(line.substr(8));
    return 0;
}

class HttpDeferred : public VtpdSuite<HttpDeferred> {
protected:
    void TearDown() override { releaseHeld(*vtpd_); } // nothing stays held for the next test
};

} // namespace

TEST_F(HttpDeferred, AnswerComesFromAnotherThreadWhenReleased)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send("GET /api/v1/testkit/hold HTTP/1.1\r\nHost: x\r\nX-Request-Id: held-1\r\n\r\n");
    ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
    const auto r = releaseHeld(*vtpd_);
    EXPECT_EQ(r->getValue<int64_t>("completed"), 1);
    auto answer = c.readResponse();
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(jsonString(answer.json(), "released"), "held-1");
    EXPECT_EQ(answer.header("x-request-id"), "held-1");
    EXPECT_EQ(answer.header("x-content-type-options"), "nosniff"); // the kernel's headers as on any answer
}

TEST_F(HttpDeferred, APipelinedRequestWaitsForTheDeferredAnswer)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send("GET /api/v1/testkit/hold HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
           "GET /api/v1/hello/second HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
    releaseHeld(*vtpd_);
    auto first = c.readResponse();
    auto second = c.readResponse();
    EXPECT_EQ(jsonString(first.json(), "released"), "first");
    EXPECT_EQ(jsonString(second.json(), "greeting"), "Hello, second!");
}

TEST_F(HttpDeferred, CompletedBeforeTheHandlerReturnsIsAnsweredAtOnce)
{
    auto r = vtpd_->get("/api/v1/testkit/hold?now=1");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(jsonString(Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>(), "released"), "before the handler returned");
}

TEST_F(HttpDeferred, TimeoutIsAnswered504OrWithTheHandlersFallback)
{
    auto timedOut = vtpd_->get("/api/v1/testkit/hold?timeout_ms=300");
    EXPECT_EQ(timedOut.status, 504) << timedOut.body;
    EXPECT_EQ(jsonString(Poco::JSON::Parser().parse(timedOut.body).extract<Poco::JSON::Object::Ptr>(), "type"),
              "urn:vtp:problem:response-timeout");
    auto fallback = vtpd_->get("/api/v1/testkit/hold?timeout_ms=300&fallback=1");
    ASSERT_EQ(fallback.status, 200) << fallback.body;
    EXPECT_TRUE(Poco::JSON::Parser().parse(fallback.body).extract<Poco::JSON::Object::Ptr>()->getValue<bool>("fallback"));
    // Completing them now is a harmless no-op.
    const auto r = releaseHeld(*vtpd_);
    EXPECT_EQ(r->getValue<int64_t>("completed"), 0);
    EXPECT_EQ(r->getValue<int64_t>("gone"), 2);
}

TEST_F(HttpDeferred, AClientThatLeavesWhileHeldIsNoticed)
{
    {
        RawHttpConnection c(vtpd_->httpPort());
        c.send("GET /api/v1/testkit/hold HTTP/1.1\r\nHost: x\r\n\r\n");
        ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
        // The held request and /metrics; the poll's last request may still be counted for a moment
        // (its answer goes out before the count drops).
        EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 2; }, std::chrono::seconds(10))) << inFlight(*vtpd_);
    } // closes
    // The kernel drops the held request (its timeout is a minute away)...
    EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 1; }, std::chrono::seconds(10)));
    // ...so completing it is a no-op.
    const auto r = releaseHeld(*vtpd_);
    EXPECT_EQ(r->getValue<int64_t>("completed"), 0);
    EXPECT_EQ(r->getValue<int64_t>("gone"), 1);
}

TEST(HttpDeferredMany, FiveThousandHeldAtOnceAreAllAnswered)
{
    constexpr int kHeld = 5000;
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max; // the test's 5,000 sockets, and vtpd's (it inherits the limit)
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
    ASSERT_GE(files.rlim_cur, static_cast<rlim_t>(2 * kHeld + 200));
    VtpdOptions o;
    o.enabled = {"hello", "testkit"};
    VtpdProcess vtpd(o);
    ASSERT_TRUE(vtpd.start()) << vtpd.logs();
    std::vector<std::unique_ptr<RawHttpConnection>> conns;
    conns.reserve(kHeld);
    for (int i = 0; i < kHeld; ++i) {
        conns.push_back(std::make_unique<RawHttpConnection>(vtpd.httpPort()));
        conns.back()->send("GET /api/v1/testkit/hold HTTP/1.1\r\nHost: x\r\nX-Request-Id: h" + std::to_string(i) + "\r\n\r\n");
    }
    ASSERT_TRUE(pollUntil([&] { return heldByPlugin(vtpd) == kHeld; }, std::chrono::seconds(60)));
    // No thread per held request: the workers, stand-ins and the kernel's own are far fewer.
    EXPECT_LT(threadsOf(vtpd.pid()), 200);
    EXPECT_EQ(inFlight(vtpd), kHeld + 1);
    const auto r = releaseHeld(vtpd);
    EXPECT_EQ(r->getValue<int64_t>("completed"), kHeld);
    for (int i = 0; i < kHeld; ++i) {
        auto a = conns[static_cast<size_t>(i)]->readResponse();
        ASSERT_EQ(a.status, 200) << i << " " << a.body;
        ASSERT_EQ(jsonString(a.json(), "released"), "h" + std::to_string(i));
    }
    EXPECT_TRUE(pollUntil([&] { return inFlight(vtpd) == 1; }, std::chrono::seconds(10)));
}
