// Files as the answer of the two other ABI 1.6 paths, which reach the kernel's file transfer by
// their own ways: a streamed route that stores its body and answers with the file it made
// (testkit's POST /api/v1/testkit/files/{name}), and a deferred answer completed with a file from
// a plugin thread (testkit's /hold?file=NAME, released by POST /release).
#include "HttpTestSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

const std::string kTen = "0123456789";
const size_t kBig = 8 << 20; // more than a worker sends in one turn (2 MiB): the rest waits for EPOLLOUT

std::string post(const std::string& path, const std::string& body, const std::string& extraHeaders = {})
{
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extraHeaders + "\r\n" + body;
}

std::string get(const std::string& path, const std::string& extraHeaders = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "\r\n";
}

void expectFileHeaders(const RawResponse& r, const std::string& type)
{
    EXPECT_EQ(r.header("content-type"), type);
    EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
    EXPECT_EQ(r.header("accept-ranges"), "bytes");
    ASSERT_FALSE(r.header("etag").empty());
    EXPECT_EQ(r.header("etag").front(), '"') << "a strong validator";
    EXPECT_FALSE(r.header("last-modified").empty());
    EXPECT_FALSE(r.header("x-request-id").empty());
}

class FileAnswers : public VtpdSuite<FileAnswers> {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"testkit"};
        return o;
    }
    static void started()
    {
        writeTestFile(*vtpd_, "ten.txt", kTen);
        big_ = patterned(kBig);
        writeTestFile(*vtpd_, "big.bin", big_);
    }

protected:
    void TearDown() override { releaseHeld(*vtpd_); } // nothing stays held for the next test

    // The file a test serves, in DATA/files/.
    static std::string fileOf(const std::string& name) { return filesDir(*vtpd_) + "/" + name; }

    static inline std::string big_;
};

} // namespace

TEST_F(FileAnswers, AStreamedBodyIsAnsweredWithTheFileItBecame)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send(post("/api/v1/testkit/files/stored.bin", big_));
    const auto r = c.readResponse();
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    ASSERT_TRUE(r.complete);
    EXPECT_TRUE(r.body == big_) << "the answer differs from the body sent";
    expectFileHeaders(r, "application/octet-stream");
    // The connection goes on after the file; what it stored is a file like any other.
    c.send(get("/api/v1/testkit/files/stored.bin", "Range: bytes=1000-1999\r\n"));
    const auto part = c.readResponse();
    ASSERT_EQ(part.status, 206) << part.body.substr(0, 300);
    EXPECT_EQ(part.body, big_.substr(1000, 1000));
    EXPECT_EQ(part.header("content-range"), "bytes 1000-1999/" + std::to_string(kBig));
}

TEST_F(FileAnswers, AChunkedStreamedBodyIsAnsweredWithItsFileThenAPipelinedRequest)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send("POST /api/v1/testkit/files/chunked.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" +
           get("/api/v1/testkit/files/ten.txt"));
    const auto r = c.readResponse();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "hello world");
    expectFileHeaders(r, "text/plain");
    const auto next = c.readResponse();
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.body, kTen);
}

TEST_F(FileAnswers, AStreamedRoutesFileAnswerIgnoresRangeButMayBeAPartOfTheFile)
{
    const std::string body = "abcdefghij";
    // Range is for GET only (RFC 9110 section 14.2): on a POST the whole file is the answer.
    auto r = rawExchange(vtpd_->httpPort(), post("/api/v1/testkit/files/letters.txt", body, "Range: bytes=0-3\r\n"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, body);
    EXPECT_TRUE(r.header("content-range").empty());
    // The handler's own choice of a part is sent from that offset.
    r = rawExchange(vtpd_->httpPort(), post("/api/v1/testkit/files/letters.txt?offset=2&length=5", body));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "cdefg");
    EXPECT_EQ(r.header("content-length"), "5");
}

TEST_F(FileAnswers, AClientThatLeavesMidFileAfterItsUploadLeavesNoDescriptorBehind)
{
    {
        RawHttpConnection c(vtpd_->httpPort());
        c.send(post("/api/v1/testkit/files/leaver.bin", big_));
        char buf[4096];
        ASSERT_GT(c.socket().receiveBytes(buf, sizeof buf), 0); // the answer has begun
    }                                                           // closes with unread data: a reset while the file is being sent
    EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 1; }, std::chrono::seconds(10))) << inFlight(*vtpd_);
    EXPECT_TRUE(noDescriptorOn(vtpd_->pid(), fileOf("leaver.bin"))) << descriptorsOn(vtpd_->pid(), fileOf("leaver.bin")) << " still open";
}

TEST_F(FileAnswers, AHeldRequestIsCompletedWithAFileFromAnotherThread)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send(get("/api/v1/testkit/hold?file=big.bin", "X-Request-Id: held-file\r\n"));
    ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
    EXPECT_EQ(releaseHeld(*vtpd_)->getValue<int64_t>("completed"), 1);
    const auto r = c.readResponse();
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    ASSERT_TRUE(r.complete);
    EXPECT_TRUE(r.body == big_) << "the answer differs from the file";
    expectFileHeaders(r, "application/octet-stream");
    EXPECT_EQ(r.header("x-request-id"), "held-file");
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff"); // the kernel's headers as on any answer
    // The connection serves the next request.
    c.send(get("/health"));
    EXPECT_EQ(c.readResponse().status, 200);
}

TEST_F(FileAnswers, AHeldFileAnswerHonoursRangeAndValidatorsOfItsRequest)
{
    const std::string etag = rawExchange(vtpd_->httpPort(), get("/api/v1/testkit/files/ten.txt")).header("etag");
    ASSERT_FALSE(etag.empty());
    RawHttpConnection ranged(vtpd_->httpPort()), past(vtpd_->httpPort()), cached(vtpd_->httpPort());
    ranged.send(get("/api/v1/testkit/hold?file=ten.txt", "Range: bytes=2-4\r\n"));
    past.send(get("/api/v1/testkit/hold?file=ten.txt", "Range: bytes=50-\r\n"));
    cached.send(get("/api/v1/testkit/hold?file=ten.txt", "If-None-Match: " + etag + "\r\n"));
    ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 3; }, std::chrono::seconds(10)));
    EXPECT_EQ(releaseHeld(*vtpd_)->getValue<int64_t>("completed"), 3);

    const auto r = ranged.readResponse();
    EXPECT_EQ(r.status, 206) << r.body;
    EXPECT_EQ(r.body, "234");
    EXPECT_EQ(r.header("content-range"), "bytes 2-4/10");
    EXPECT_EQ(r.header("content-type"), "text/plain");

    const auto p = past.readResponse();
    EXPECT_EQ(p.status, 416) << p.body;
    EXPECT_EQ(p.header("content-range"), "bytes */10");
    EXPECT_EQ(jsonString(p.json(), "type"), "urn:vtp:problem:range-not-satisfiable");

    const auto n = cached.readResponse(true); // a 304 has no body
    EXPECT_EQ(n.status, 304);
    EXPECT_EQ(n.header("etag"), etag);
}

TEST_F(FileAnswers, AFileFallbackIsSentWhenTheHeldAnswerTimesOut)
{
    auto r = rawExchange(vtpd_->httpPort(), get("/api/v1/testkit/hold?file=ten.txt&fallback=1&timeout_ms=200", "Range: bytes=-3\r\n"));
    EXPECT_EQ(r.status, 206) << r.body;
    EXPECT_EQ(r.body, "789");
    EXPECT_EQ(r.header("content-range"), "bytes 7-9/10");
    // Completing it now is a harmless no-op.
    const auto released = releaseHeld(*vtpd_);
    EXPECT_EQ(released->getValue<int64_t>("completed"), 0);
    EXPECT_EQ(released->getValue<int64_t>("gone"), 1);
}

TEST_F(FileAnswers, AClientThatLeavesWhileHeldForAFileIsNoticed)
{
    {
        RawHttpConnection c(vtpd_->httpPort());
        c.send(get("/api/v1/testkit/hold?file=big.bin"));
        ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
        EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 2; }, std::chrono::seconds(10))) << inFlight(*vtpd_);
    } // leaves while held
    EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 1; }, std::chrono::seconds(10))) << inFlight(*vtpd_);
    // The kernel dropped it: the file is never opened for it, and completing it is a no-op.
    const auto released = releaseHeld(*vtpd_);
    EXPECT_EQ(released->getValue<int64_t>("completed"), 0);
    EXPECT_EQ(released->getValue<int64_t>("gone"), 1);
    EXPECT_TRUE(noDescriptorOn(vtpd_->pid(), fileOf("big.bin"))) << descriptorsOn(vtpd_->pid(), fileOf("big.bin")) << " still open";
}

TEST_F(FileAnswers, AClientThatLeavesMidHeldFileLeavesNoDescriptorBehind)
{
    {
        RawHttpConnection c(vtpd_->httpPort());
        c.send(get("/api/v1/testkit/hold?file=big.bin"));
        ASSERT_TRUE(pollUntil([&] { return heldByPlugin(*vtpd_) == 1; }, std::chrono::seconds(10)));
        EXPECT_EQ(releaseHeld(*vtpd_)->getValue<int64_t>("completed"), 1);
        char buf[4096];
        ASSERT_GT(c.socket().receiveBytes(buf, sizeof buf), 0); // the answer has begun
    }                                                           // closes with unread data: a reset while the file is being sent
    EXPECT_TRUE(pollUntil([&] { return inFlight(*vtpd_) == 1; }, std::chrono::seconds(10))) << inFlight(*vtpd_);
    EXPECT_TRUE(noDescriptorOn(vtpd_->pid(), fileOf("big.bin"))) << descriptorsOn(vtpd_->pid(), fileOf("big.bin")) << " still open";
}
