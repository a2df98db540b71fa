// Streamed request bodies (ABI 1.6) from the wire: testkit's upload routes take their bodies
// in pieces, refused before a byte is read when the caller may not upload, cut off at the
// route's limit, ended with 408 when they stall, and the plugin told when a client vanishes.
#include "IntegrationSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <filesystem>
#include <thread>

using namespace vtp::test;

namespace {

const std::string kUploader = testkitToken("ann", "uploader");

std::unique_ptr<VtpdProcess> startTestkit(std::map<std::string, std::string> env = {})
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit"};
    o.extraToml = "[plugins.testkit]\nverifier = true\n";
    o.env = std::move(env);
    auto p = std::make_unique<VtpdProcess>(o);
    if (!p->start()) ADD_FAILURE() << p->logs();
    return p;
}

std::string uploadHead(const std::string& path, const std::string& framing, const std::string& token = kUploader)
{
    return "PUT " + path + " HTTP/1.1\r\nHost: x\r\n" + (token.empty() ? "" : "Authorization: " + token + "\r\n") +
           "Content-Type: application/octet-stream\r\n" + framing + "\r\n";
}

std::string chunk(const std::string& data)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

// Polls testkit's upload counters until `pred` holds on them.
bool uploadsReach(VtpdProcess& vtpd, const std::function<bool(const Poco::JSON::Object::Ptr&)>& pred)
{
    return pollUntil(
        [&] {
            auto r = vtpd.get("/api/v1/testkit/uploads");
            return r.status == 200 && pred(Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>());
        },
        std::chrono::seconds(10));
}

int64_t aborted(const Poco::JSON::Object::Ptr& stats, const std::string& reason)
{
    auto a = stats->getObject("aborted");
    return a->has(reason) ? a->getValue<int64_t>(reason) : 0;
}

class HttpStream : public ::testing::Test {
protected:
    static void SetUpTestSuite() { vtpd_ = startTestkit({{"VTP_HTTP__REQUEST_TIMEOUT_SECONDS", "2"}}).release(); }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }
    static std::string uploaded(const std::string& name) { return vtpd_->dir() + "/data/uploads/" + name; }
    static VtpdProcess* vtpd_;
};

VtpdProcess* HttpStream::vtpd_ = nullptr;

} // namespace

TEST_F(HttpStream, ContentLengthBodyLandsInTheFileAndIsSynced)
{
    std::string body;
    for (int i = 0; i < 300000; ++i) body += static_cast<char>('a' + i % 26);
    RawHttpConnection c(vtpd_->httpPort());
    c.send(uploadHead("/api/v1/testkit/upload/plain?sync=1", "Content-Length: " + std::to_string(body.size()) + "\r\n") + body);
    auto r = c.readResponse();
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<int64_t>("bytes"), static_cast<int64_t>(body.size()));
    EXPECT_EQ(r.json()->getValue<int64_t>("told"), static_cast<int64_t>(body.size()));
    EXPECT_TRUE(r.json()->getValue<bool>("synced"));
    EXPECT_EQ(readFile(uploaded("plain")), body);
    // The connection serves the next request.
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.readResponse().status, 200);
}

TEST_F(HttpStream, ChunkedBodyWithAPipelinedRequestBehindIt)
{
    RawHttpConnection c(vtpd_->httpPort());
    // Body, its end and the next request in one write: the body stops exactly at its end.
    c.send(uploadHead("/api/v1/testkit/upload/chunked", "Transfer-Encoding: chunked\r\n") + chunk("hello ") + chunk("streamed ") +
           chunk("world") + "0\r\n\r\nGET /api/v1/hello/after HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.readResponse();
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(readFile(uploaded("chunked")), "hello streamed world");
    auto next = c.readResponse();
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(jsonString(next.json(), "greeting"), "Hello, after!");
}

TEST_F(HttpStream, UnauthorisedUploadIsRefusedBeforeItsBodyIsRead)
{
    for (const auto& [token, status] : {std::pair<std::string, int>{"Bearer nonsense", 401}, {testkitToken("bob", "student"), 403}}) {
        RawHttpConnection c(vtpd_->httpPort());
        // A 4 GiB body is announced, and none of it is sent: the answer comes anyway.
        c.send(uploadHead("/api/v1/testkit/upload/nope", "Content-Length: 4294967296\r\n", token));
        auto r = c.readResponse();
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.header("connection"), "close");
    }
    // The plugin may refuse too, before the body: no sink was made for it.
    RawHttpConnection c(vtpd_->httpPort());
    c.send(uploadHead("/api/v1/testkit/upload/refused", "Content-Length: 4294967296\r\nExpect: 100-continue\r\n"));
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:refused");
    EXPECT_FALSE(std::filesystem::exists(uploaded("nope")));
}

TEST_F(HttpStream, BodyOverTheRouteLimitIs413BeforeOrWhileReading)
{
    {
        // Announced: refused before a byte is read.
        RawHttpConnection c(vtpd_->httpPort());
        c.send(uploadHead("/api/v1/testkit/upload-small", "Content-Length: 65537\r\n"));
        auto r = c.readResponse();
        EXPECT_EQ(r.status, 413) << r.body;
    }
    auto before = vtpd_->get("/api/v1/testkit/uploads");
    const int64_t tooLargeBefore = aborted(Poco::JSON::Parser().parse(before.body).extract<Poco::JSON::Object::Ptr>(), "too-large");
    {
        // Chunked: cut off once it passes the limit; the sink is told.
        RawHttpConnection c(vtpd_->httpPort());
        c.send(uploadHead("/api/v1/testkit/upload-small", "Transfer-Encoding: chunked\r\n"));
        const std::string piece(16 << 10, 'x');
        RawResponse r;
        for (int i = 0; i < 8 && r.status == 0; ++i) {
            try {
                c.send(chunk(piece));
            } catch (const std::exception&) {
                break; // the server already answered and closed
            }
        }
        r = c.readResponse();
        EXPECT_EQ(r.status, 413) << r.body;
        EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:body-too-large");
    }
    EXPECT_TRUE(uploadsReach(*vtpd_, [&](const auto& s) { return aborted(s, "too-large") == tooLargeBefore + 1; }));
}

TEST_F(HttpStream, TricklingBodiesHoldNoWorker)
{
    auto vtpd = startTestkit({{"VTP_HTTP__THREADS", "1"}, {"VTP_HTTP__MAX_THREADS", "1"}});
    // Four uploads that send a byte now and then; one worker, and no stand-ins.
    std::vector<std::unique_ptr<RawHttpConnection>> slow;
    for (int i = 0; i < 4; ++i) {
        slow.push_back(std::make_unique<RawHttpConnection>(vtpd->httpPort()));
        slow.back()->send(uploadHead("/api/v1/testkit/upload-small", "Content-Length: 10\r\n", "") + "abc");
    }
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(vtpd->get("/health").status, 200); // the worker is free between their bytes
        for (auto& c : slow) c->send("ab");
    }
    for (auto& c : slow) {
        c->send("x");
        auto r = c->readResponse();
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.json()->getValue<int64_t>("bytes"), 10);
    }
}

TEST_F(HttpStream, StalledBodyIsAnswered408AndTheSinkIsTold)
{
    auto before = vtpd_->get("/api/v1/testkit/uploads");
    const int64_t timeoutsBefore = aborted(Poco::JSON::Parser().parse(before.body).extract<Poco::JSON::Object::Ptr>(), "timeout");
    RawHttpConnection c(vtpd_->httpPort());
    c.send(uploadHead("/api/v1/testkit/upload/stalled", "Content-Length: 1000\r\n") + "only this");
    auto r = c.readResponse(); // after http.request_timeout_seconds (2 s here)
    EXPECT_EQ(r.status, 408) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:body-timeout");
    EXPECT_TRUE(uploadsReach(*vtpd_, [&](const auto& s) { return aborted(s, "timeout") == timeoutsBefore + 1; }));
    EXPECT_FALSE(std::filesystem::exists(uploaded("stalled"))); // the sink removed its partial file
}

TEST_F(HttpStream, ClientsThatVanishMidBodyLeaveNothingBehind)
{
    auto before = vtpd_->get("/api/v1/testkit/uploads");
    const int64_t goneBefore = aborted(Poco::JSON::Parser().parse(before.body).extract<Poco::JSON::Object::Ptr>(), "disconnected");
    {
        std::vector<std::unique_ptr<RawHttpConnection>> clients;
        for (int i = 0; i < 5; ++i) {
            auto& c = *clients.emplace_back(std::make_unique<RawHttpConnection>(vtpd_->httpPort()));
            const bool chunked = i % 2 == 0;
            c.send(uploadHead("/api/v1/testkit/upload/vanish" + std::to_string(i),
                              chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 1000000\r\n") +
                   (chunked ? chunk(std::string(5000, 'v')) : std::string(5000, 'v')));
        }
        // Every upload has its sink before the clients go.
        ASSERT_TRUE(uploadsReach(*vtpd_, [](const auto& s) { return s->template getValue<int64_t>("open") == 5; }));
        // One resets instead of closing.
        struct linger l {
            1, 0
        };
        ::setsockopt(clients.back()->socket().impl()->sockfd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } // each closes here, mid-body
    EXPECT_TRUE(uploadsReach(
        *vtpd_, [&](const auto& s) { return aborted(s, "disconnected") == goneBefore + 5 && s->template getValue<int64_t>("open") == 0; }));
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(std::filesystem::exists(uploaded("vanish" + std::to_string(i))));
    EXPECT_EQ(vtpd_->get("/health").status, 200);
}

TEST_F(HttpStream, ASinkThatRefusesMidBodyAnswersItsOwnProblem)
{
    RawHttpConnection c(vtpd_->httpPort());
    const std::string body(200000, 'r');
    c.send(uploadHead("/api/v1/testkit/upload/full?fail_after=1000", "Content-Length: " + std::to_string(body.size()) + "\r\n"));
    try {
        c.send(body);
    } catch (const std::exception&) {
        // The server may have answered and closed before all of it went out.
    }
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 507) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:insufficient-storage");
    EXPECT_EQ(r.header("connection"), "close");
    EXPECT_FALSE(std::filesystem::exists(uploaded("full")));
}

TEST_F(HttpStream, MalformedChunkedFramingIs400)
{
    RawHttpConnection c(vtpd_->httpPort());
    c.send(uploadHead("/api/v1/testkit/upload/broken", "Transfer-Encoding: chunked\r\n") + "zz\r\nhello\r\n");
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:malformed-body");
    EXPECT_FALSE(std::filesystem::exists(uploaded("broken")));
}
