// File responses (ABI 1.6) from the wire: testkit's GET /api/v1/testkit/files/{name} answers
// with Response::file, and the kernel sends it with sendfile: ranges, HEAD, validators and
// conditional requests, slow clients and clients that leave in the middle of a file.
#include "HttpTestSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace vtp::test;

namespace {

const std::string kTen = "0123456789";

std::string get(const std::string& path, const std::string& extraHeaders = {}, const std::string& method = "GET")
{
    return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "\r\n";
}

class Files : public VtpdSuite<Files> {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"testkit"};
        return o;
    }
    static void started() { writeTestFile(*vtpd_, "ten.txt", kTen); }

protected:
    static RawResponse exchange(const std::string& request, bool headOnly = false)
    {
        return rawExchange(vtpd_->httpPort(), request, headOnly);
    }
};

const std::string kTenPath = "/api/v1/testkit/files/ten.txt";

} // namespace

TEST_F(Files, WholeFileCarriesTypeValidatorsAndTheHandlersCacheControl)
{
    const auto r = exchange(get(kTenPath));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, kTen);
    EXPECT_EQ(r.header("content-type"), "text/plain");
    EXPECT_EQ(r.header("content-length"), "10");
    EXPECT_EQ(r.header("accept-ranges"), "bytes");
    EXPECT_EQ(r.header("cache-control"), "public, max-age=60");
    ASSERT_FALSE(r.header("etag").empty());
    EXPECT_EQ(r.header("etag").front(), '"') << "a strong validator";
    EXPECT_FALSE(r.header("last-modified").empty());
}

TEST_F(Files, RangesWithinAtAndPastTheEnd)
{
    auto r = exchange(get(kTenPath, "Range: bytes=0-3\r\n"));
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "0123");
    EXPECT_EQ(r.header("content-range"), "bytes 0-3/10");
    EXPECT_EQ(r.header("content-type"), "text/plain");

    r = exchange(get(kTenPath, "Range: bytes=9-9\r\n")); // the last byte
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "9");
    EXPECT_EQ(r.header("content-range"), "bytes 9-9/10");

    r = exchange(get(kTenPath, "Range: bytes=8-100\r\n")); // past the end: up to it
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "89");
    EXPECT_EQ(r.header("content-range"), "bytes 8-9/10");

    r = exchange(get(kTenPath, "Range: bytes=7-\r\n"));
    EXPECT_EQ(r.body, "789");

    r = exchange(get(kTenPath, "Range: bytes=10-\r\n")); // starts at the end
    expectProblem(r, 416, "range-not-satisfiable");
    EXPECT_EQ(r.header("content-range"), "bytes */10");
    r = exchange(get(kTenPath, "Range: bytes=50-60\r\n"));
    expectProblem(r, 416, "range-not-satisfiable");
    EXPECT_EQ(r.header("content-range"), "bytes */10");
}

TEST_F(Files, SuffixRanges)
{
    auto r = exchange(get(kTenPath, "Range: bytes=-3\r\n"));
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "789");
    EXPECT_EQ(r.header("content-range"), "bytes 7-9/10");
    r = exchange(get(kTenPath, "Range: bytes=-50\r\n")); // longer than the file: all of it
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, kTen);
    EXPECT_EQ(r.header("content-range"), "bytes 0-9/10");
    expectProblem(exchange(get(kTenPath, "Range: bytes=-0\r\n")), 416, "range-not-satisfiable");
}

TEST_F(Files, InvalidOrSeveralRangesGetTheWholeFile)
{
    for (const char* range : {"bytes=5-2", "bytes=abc", "bytes=", "lines=1-2", "bytes=0-1,4-5"}) {
        const auto r = exchange(get(kTenPath, std::string("Range: ") + range + "\r\n"));
        EXPECT_EQ(r.status, 200) << range;
        EXPECT_EQ(r.body, kTen) << range;
        EXPECT_TRUE(r.header("content-range").empty()) << range;
    }
}

TEST_F(Files, ConditionalRequests)
{
    const auto first = exchange(get(kTenPath));
    const std::string etag = first.header("etag"), lastModified = first.header("last-modified");
    ASSERT_FALSE(etag.empty());

    auto r = exchange(get(kTenPath, "If-None-Match: " + etag + "\r\n"));
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.header("etag"), etag);
    EXPECT_EQ(r.header("cache-control"), "public, max-age=60");
    EXPECT_TRUE(r.header("content-length").empty());
    EXPECT_EQ(exchange(get(kTenPath, "If-None-Match: \"other\", W/" + etag + "\r\n")).status, 304);
    EXPECT_EQ(exchange(get(kTenPath, "If-None-Match: \"other\"\r\n")).status, 200);
    EXPECT_EQ(exchange(get(kTenPath, "If-Modified-Since: " + lastModified + "\r\n")).status, 304);
    EXPECT_EQ(exchange(get(kTenPath, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")).status, 200);

    expectProblem(exchange(get(kTenPath, "If-Match: \"other\"\r\n")), 412, "precondition-failed");
    EXPECT_EQ(exchange(get(kTenPath, "If-Match: " + etag + "\r\n")).status, 200);
    expectProblem(exchange(get(kTenPath, "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")), 412, "precondition-failed");

    // If-Range: the range for the same file, the whole file for another.
    r = exchange(get(kTenPath, "Range: bytes=0-1\r\nIf-Range: " + etag + "\r\n"));
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "01");
    r = exchange(get(kTenPath, "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kTen);
}

TEST_F(Files, HandlerEtagIsTheValidator)
{
    const auto r = exchange(get(kTenPath + "?etag=v7"));
    EXPECT_EQ(r.header("etag"), "\"v7\"");
    EXPECT_EQ(exchange(get(kTenPath + "?etag=v7", "If-None-Match: \"v7\"\r\n")).status, 304);
    EXPECT_EQ(exchange(get(kTenPath + "?etag=v7", "If-None-Match: " + exchange(get(kTenPath)).header("etag") + "\r\n")).status, 200);
}

TEST_F(Files, HeadAnswersTheHeadOfTheWholeFileAndKeepsTheConnection)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send(get(kTenPath, "Range: bytes=0-1\r\n", "HEAD"));
    auto head = c.readResponse(true);
    EXPECT_EQ(head.status, 200); // Range is for GET only
    EXPECT_EQ(head.header("content-length"), "10");
    EXPECT_EQ(head.header("accept-ranges"), "bytes");
    EXPECT_TRUE(head.body.empty());
    // No body bytes followed the head: the next answer on the connection parses cleanly.
    c.send(get(kTenPath, "Range: bytes=2-3\r\n"));
    const auto next = c.readResponse();
    EXPECT_EQ(next.status, 206);
    EXPECT_EQ(next.body, "23");
}

TEST_F(Files, PipelinedRequestsAfterAFileAreAnswered)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send(get(kTenPath) + get(kTenPath, "Range: bytes=-1\r\n") + get("/health"));
    EXPECT_EQ(c.readResponse().body, kTen);
    EXPECT_EQ(c.readResponse().body, "9");
    EXPECT_EQ(c.readResponse().status, 200);
}

TEST_F(Files, PartOfAFileIsItsOwnRepresentation)
{
    auto r = exchange(get(kTenPath + "?offset=2&length=5"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "23456");
    r = exchange(get(kTenPath + "?offset=2&length=5", "Range: bytes=-2\r\n"));
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "56");
    EXPECT_EQ(r.header("content-range"), "bytes 3-4/5");
    // A part past the end is the handler's mistake: 500, logged.
    EXPECT_EQ(exchange(get(kTenPath + "?offset=8&length=5")).status, 500);
}

TEST_F(Files, MissingFileIsNotFound)
{
    expectProblem(exchange(get("/api/v1/testkit/files/none.txt")), 404, "not-found");
    expectProblem(exchange(get("/api/v1/testkit/files/..")), 404, "not-found");
    expectProblem(exchange(get("/api/v1/testkit/files/%2e%2e%2fvtpd.toml")), 404, "not-found");
}

TEST_F(Files, LargeFileArrivesWhole)
{
    const std::string big = patterned(8 << 20);
    writeTestFile(*vtpd_, "large.bin", big);
    const auto r = exchange(get("/api/v1/testkit/files/large.bin"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    EXPECT_TRUE(r.body == big) << "the body differs from the file";
    const auto part = exchange(get("/api/v1/testkit/files/large.bin", "Range: bytes=5000000-5999999\r\n"));
    EXPECT_EQ(part.status, 206);
    EXPECT_TRUE(part.body == big.substr(5000000, 1000000));
}

namespace {

// One worker and no stand-ins: a worker blocked on a slow client would stop the server.
class SlowClients : public ::testing::Test {
protected:
    void SetUp() override
    {
        VtpdOptions o;
        o.enabled = {"testkit"};
        o.env = {{"VTP_HTTP__THREADS", "1"}, {"VTP_HTTP__MAX_THREADS", "1"}, {"VTP_HTTP__REQUEST_TIMEOUT_SECONDS", "2"}};
        vtpd_ = std::make_unique<VtpdProcess>(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
        big_ = patterned(32 << 20); // more than loopback's socket buffers hold
        writeTestFile(*vtpd_, "big.bin", big_);
        bigFile_ = filesDir(*vtpd_) + "/big.bin";
    }

    std::unique_ptr<VtpdProcess> vtpd_;
    std::string big_;
    std::string bigFile_;
};

const std::string kBigPath = "/api/v1/testkit/files/big.bin";

} // namespace

TEST_F(SlowClients, AClientThatDoesNotReadHoldsNoWorker)
{
    RawHttpConnection slow(vtpd_->httpPort());
    slow.send(get(kBigPath));
    // It reads a little and stops; vtpd's one worker must still serve others meanwhile.
    char buf[65536];
    const int first = slow.socket().receiveBytes(buf, 4096);
    ASSERT_GT(first, 0);
    std::string received(buf, static_cast<size_t>(first));
    for (int i = 0; i < 20; ++i) ASSERT_EQ(vtpd_->get("/health").status, 200);
    // Then it reads the rest, which arrives whole and in order.
    size_t headEnd = std::string::npos;
    while ((headEnd = received.find("\r\n\r\n")) == std::string::npos || received.size() < headEnd + 4 + big_.size()) {
        const int n = slow.socket().receiveBytes(buf, sizeof buf);
        ASSERT_GT(n, 0) << "the connection ended after " << received.size() << " bytes";
        received.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_NE(received.find("Content-Length: " + std::to_string(big_.size()) + "\r\n"), std::string::npos);
    EXPECT_TRUE(received.compare(headEnd + 4, std::string::npos, big_) == 0) << "the body differs from the file";
}

TEST_F(SlowClients, ClientsThatLeaveMidFileLeaveNoDescriptorBehind)
{
    for (int i = 0; i < 5; ++i) {
        RawHttpConnection c(vtpd_->httpPort());
        c.send(get(kBigPath));
        char buf[65536];
        ASSERT_GT(c.socket().receiveBytes(buf, sizeof buf), 0);
        // More than the socket buffers hold is still to send: vtpd has the file open.
        EXPECT_GE(descriptorsOn(vtpd_->pid(), bigFile_), 1u);
        // Closing with unread data sends a reset: vtpd learns it while the file is half sent.
    }
    EXPECT_TRUE(noDescriptorOn(vtpd_->pid(), bigFile_)) << descriptorsOn(vtpd_->pid(), bigFile_) << " still open";
    const auto r = vtpd_->get("/health");
    EXPECT_EQ(r.status, 200);
}

TEST_F(SlowClients, AStalledClientIsDisconnectedAfterTheRequestTimeout)
{
    RawHttpConnection stalled(vtpd_->httpPort());
    stalled.send(get(kBigPath));
    // It never reads: after http.request_timeout_seconds (2) without progress vtpd closes it,
    // and its descriptors on the file and on the connection are released.
    const uint16_t clientPort = stalled.socket().address().port();
    EXPECT_TRUE(pollUntil([&] { return descriptorsOn(vtpd_->pid(), bigFile_) >= 1; }, std::chrono::seconds(10)));
    EXPECT_TRUE(pollUntil([&] { return serverSocketInode(vtpd_->httpPort(), clientPort) <= 0; }, std::chrono::seconds(15)))
        << "vtpd still holds the connection (inode " << serverSocketInode(vtpd_->httpPort(), clientPort) << ")";
    EXPECT_TRUE(noDescriptorOn(vtpd_->pid(), bigFile_, std::chrono::seconds(15))) << descriptorsOn(vtpd_->pid(), bigFile_) << " still open";
    EXPECT_EQ(vtpd_->get("/health").status, 200);
}
