// The HTTP API of the real vtpd, from the wire: status codes, problem+json bodies, limits,
// malformed requests and connection handling.
#include "HttpTestSupport.hpp"

#include <gtest/gtest.h>

#include <future>

using namespace vtp::test;

namespace {

class Http : public VtpdSuite<Http> {
protected:
    // The server answered `r` and still serves a new client afterwards.
    static void expectStillServing()
    {
        auto h = vtpd_->get("/health");
        EXPECT_EQ(h.status, 200) << h.body;
    }
};

const std::string kEchoPath = "/api/v1/hello/echo";

} // namespace

TEST_F(Http, HealthAnswersOkAsJson)
{
    auto r = vtpd_->get("/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.contentType, "application/json");
    EXPECT_EQ(jsonString(r.json(), "status"), "ok");
}

TEST_F(Http, ReadyListsRunningPluginsWithVersions)
{
    auto r = vtpd_->get("/ready");
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = r.json();
    EXPECT_EQ(jsonString(body, "status"), "ready");
    EXPECT_FALSE(body->getValue<bool>("degraded"));
    std::map<std::string, std::pair<std::string, std::string>> plugins;
    auto list = body->getArray("plugins");
    for (size_t i = 0; i < list->size(); ++i) {
        auto p = list->getObject(static_cast<unsigned>(i));
        plugins[jsonString(p, "name")] = {jsonString(p, "state"), jsonString(p, "version")};
    }
    EXPECT_EQ(plugins["hello"], std::make_pair(std::string("running"), std::string("1.0.0")));
    EXPECT_EQ(plugins["testkit"], std::make_pair(std::string("running"), std::string("0.1.0")));
}

TEST_F(Http, UnknownPathIsProblemJsonWithStableType)
{
    auto r = vtpd_->get("/api/v1/no/such/thing");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.contentType, "application/problem+json");
    auto j = r.json();
    EXPECT_EQ(jsonString(j, "type"), "urn:vtp:problem:not-found");
    EXPECT_EQ(j->getValue<int>("status"), 404);
    EXPECT_NE(jsonString(j, "detail").find("/api/v1/no/such/thing"), std::string::npos) << r.body;
    EXPECT_EQ(jsonString(j, "instance"), r.headers["X-Request-Id"]);
}

TEST_F(Http, WrongMethodIs405WithAllowHeader)
{
    auto r = vtpd_->request("DELETE", "/health");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:method-not-allowed");
    ASSERT_TRUE(r.headers.count("Allow")) << r.body;
    EXPECT_NE(r.headers["Allow"].find("GET"), std::string::npos) << r.headers["Allow"];

    auto echo = vtpd_->request("PUT", kEchoPath, "{}");
    EXPECT_EQ(echo.status, 405);
    EXPECT_NE(echo.headers["Allow"].find("POST"), std::string::npos) << echo.headers["Allow"];
}

TEST_F(Http, JsonRouteEchoesWellFormedBody)
{
    auto r = vtpd_->request("POST", kEchoPath, R"({"n": 1})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<int>("n"), 1);
    EXPECT_EQ(jsonString(r.json(), "greeting"), "Hello");
}

TEST_F(Http, PostWithoutLengthOrChunkingIs411)
{
    auto r = rawExchange(port(), "POST " + kEchoPath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n");
    expectProblem(r, 411, "length-required");
    expectStillServing();
}

TEST_F(Http, ContentLengthOverRouteLimitIs413BeforeTheBodyIsSent)
{
    // The echo route allows 64 KiB; the body itself is never sent, so only the header can have been judged.
    auto r = rawExchange(port(), "POST " + kEchoPath +
                                     " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 70000\r\n\r\n");
    expectProblem(r, 413, "body-too-large");
    EXPECT_NE(r.json()->getValue<std::string>("detail").find("65536"), std::string::npos) << r.body;
    expectStillServing();
}

TEST_F(Http, ChunkedBodyOverRouteLimitIs413)
{
    std::string request = "POST " + kEchoPath +
                          " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(8192, ' ');
    for (int i = 0; i < 9; ++i) request += "2000\r\n" + chunk + "\r\n"; // 72 KiB of whitespace in total
    request += "0\r\n\r\n";
    auto r = rawExchange(port(), request);
    expectProblem(r, 413, "body-too-large");
    expectStillServing();
}

TEST_F(Http, ChunkedBodyWithinLimitIsAccepted)
{
    const std::string body = R"({"chunked": true})";
    std::ostringstream request;
    request << "POST " << kEchoPath << " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            << "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            << std::hex << body.size() << "\r\n"
            << body << "\r\n0\r\n\r\n";
    auto r = rawExchange(port(), request.str());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()->getValue<bool>("chunked"));
}

TEST_F(Http, WrongContentTypeIs415)
{
    auto r = vtpd_->request("POST", kEchoPath, R"({"a": 1})", "text/plain");
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:unsupported-media-type");
    EXPECT_NE(jsonString(r.json(), "detail").find("text/plain"), std::string::npos) << r.body;
}

TEST_F(Http, MalformedJsonIs400NamingLineAndColumn)
{
    auto r = vtpd_->request("POST", kEchoPath, "{\n  \"a\": 1,\n  \"b\": }\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:malformed-json");
    const std::string detail = jsonString(r.json(), "detail");
    EXPECT_NE(detail.find("line 3"), std::string::npos) << detail;
    EXPECT_NE(detail.find("column 8"), std::string::npos) << detail;
}

TEST_F(Http, OneHugeHeaderGetsProblemAndServerKeepsServing)
{
    auto r = rawExchange(port(), "GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    expectProblem(r, 431, "headers-too-large");
    expectStillServing();
}

TEST_F(Http, TwoHundredHeadersGetProblemAndServerKeepsServing)
{
    std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 200; ++i) request += "X-Field-" + std::to_string(i) + ": v\r\n";
    auto r = rawExchange(port(), request + "\r\n");
    expectProblem(r, 431, "headers-too-large");
    expectStillServing();
}

TEST_F(Http, HeadersOverConfiguredByteLimitAre431)
{
    // Each field is within Poco's own limits; together they pass http.max_header_bytes (16 KiB).
    std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 3; ++i) request += "X-Big-" + std::to_string(i) + ": " + std::string(7000, 'b') + "\r\n";
    auto r = rawExchange(port(), request + "\r\n");
    expectProblem(r, 431, "headers-too-large");
    expectStillServing();
}

TEST_F(Http, RequestTargetLongerThanTheParserTakesIs414)
{
    // Over Poco's 16384-byte request target: RFC 9112 section 3 says 414 (URI Too Long).
    auto r = rawExchange(port(), "GET /health?q=" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    expectProblem(r, 414, "uri-too-long");
    expectStillServing();
}

TEST_F(Http, RequestTargetOverTheConfiguredHeadLimitIs414)
{
    // A target of exactly Poco's 16384 bytes: with the method, over http.max_header_bytes (16 KiB).
    auto r = rawExchange(port(), "GET /health?q=" + std::string(16374, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    expectProblem(r, 414, "uri-too-long");
    expectStillServing();
}

TEST_F(Http, GarbageRequestLineIs400Problem)
{
    auto r = rawExchange(port(), "\x01\x02garbage\r\n\r\n");
    expectProblem(r, 400, "malformed-request");
    expectStillServing();
}

TEST_F(Http, ValidRequestIdIsEchoed)
{
    auto r = vtpd_->get("/health", {{"X-Request-Id", "abc-123_x.y"}});
    EXPECT_EQ(r.headers["X-Request-Id"], "abc-123_x.y");
    auto problem = vtpd_->get("/nope", {{"X-Request-Id", "trace-42"}});
    EXPECT_EQ(problem.headers["X-Request-Id"], "trace-42");
    EXPECT_EQ(jsonString(problem.json(), "instance"), "trace-42");
}

TEST_F(Http, RequestIdIsGeneratedWhenAbsentOrInvalid)
{
    auto a = vtpd_->get("/health");
    auto b = vtpd_->get("/health");
    ASSERT_FALSE(a.headers["X-Request-Id"].empty());
    EXPECT_NE(a.headers["X-Request-Id"], b.headers["X-Request-Id"]);
    auto invalid = vtpd_->get("/health", {{"X-Request-Id", "has spaces and <angle>"}});
    EXPECT_FALSE(invalid.headers["X-Request-Id"].empty());
    EXPECT_NE(invalid.headers["X-Request-Id"], "has spaces and <angle>");
}

TEST_F(Http, HeadGetsHeadersButNoBody)
{
    RawHttpConnection c(port());
    c.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto head = c.readResponse(true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-type"), "application/json");
    // Had the server written a body after the head, it would precede the next response.
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto next = c.readResponse();
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.body, R"({"status":"ok"})");
}

TEST_F(Http, ResponsesCarryTheDateAndOneOfEachFramingHeader)
{
    RawHttpConnection c(port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 200);
    const std::string date = r.header("date"); // RFC 9110 IMF-fixdate: "Tue, 01 Dec 2026 23:58:22 GMT"
    EXPECT_EQ(date.size(), 29u) << date;
    EXPECT_TRUE(date.ends_with(" GMT")) << date;
    EXPECT_EQ(r.header("content-length"), "15");
    EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_F(Http, Http10ClientsGetKeepAliveOnlyWhenTheyAskForIt)
{
    RawHttpConnection once(port());
    once.send("GET /health HTTP/1.0\r\n\r\n");
    auto r = once.readResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(lowerCase(r.header("connection")), "close");
    EXPECT_TRUE(once.closedByServer());

    RawHttpConnection kept(port());
    kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(lowerCase(kept.readResponse().header("connection")), "keep-alive");
    kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(kept.readResponse().status, 200);
}

TEST_F(Http, AnAnswerThatLeavesTheBodyUnreadEndsTheConnection)
{
    // The body is not read for a 404; were the connection kept, "hello" would begin the next
    // request.
    RawHttpConnection c(port());
    c.send("POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(lowerCase(r.header("connection")), "close");
    EXPECT_TRUE(c.closedByServer());
}

TEST_F(Http, KeepAliveServesTwoRequestsOnOneConnection)
{
    RawHttpConnection c(port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto first = c.readResponse();
    EXPECT_EQ(first.status, 200);
    EXPECT_NE(lowerCase(first.header("connection")), "close");
    c.send("GET /api/v1/hello/keepalive HTTP/1.1\r\nHost: x\r\n\r\n");
    auto second = c.readResponse();
    EXPECT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(jsonString(second.json(), "greeting"), "Hello, keepalive!");
}

// Connection handling with small limits, each test on its own vtpd: idle keep-alive
// connections hold no thread, idle ones are closed, and the connection cap holds.
namespace {

std::unique_ptr<VtpdProcess> startWith(std::map<std::string, std::string> env)
{
    VtpdOptions o;
    o.enabled = {"hello", "testkit"};
    o.env = std::move(env);
    auto p = std::make_unique<VtpdProcess>(o);
    if (!p->start()) ADD_FAILURE() << p->logs();
    return p;
}

RawResponse getOn(RawHttpConnection& c, const std::string& name)
{
    c.send("GET /api/v1/hello/" + name + " HTTP/1.1\r\nHost: x\r\n\r\n");
    return c.readResponse();
}

} // namespace

TEST(HttpConnections, KeepAliveConnectionsOutnumberingThreadsAreAllServed)
{
    auto vtpd = startWith({{"VTP_HTTP__THREADS", "2"}});
    std::vector<std::unique_ptr<RawHttpConnection>> conns;
    for (int i = 0; i < 30; ++i) conns.push_back(std::make_unique<RawHttpConnection>(vtpd->httpPort()));
    // Two rounds in turn over all of them: with a thread held per kept-alive connection, the
    // third connection would wait for a thread until the first two went idle for 10 s.
    for (int round = 0; round < 2; ++round) {
        for (size_t i = 0; i < conns.size(); ++i) {
            auto r = getOn(*conns[i], "c" + std::to_string(i));
            ASSERT_EQ(r.status, 200) << "connection " << i << ", round " << round;
            EXPECT_EQ(jsonString(r.json(), "greeting"), "Hello, c" + std::to_string(i) + "!");
        }
    }
}

TEST(HttpConnections, ABlockedHandlerGetsAStandIn)
{
    auto vtpd = startWith({{"VTP_HTTP__THREADS", "1"}, {"VTP_HTTP__MAX_THREADS", "4"}});
    // The only worker taking requests blocks in the handler until the release file appears.
    auto slow = std::async(std::launch::async, [&] { return vtpd->get("/api/v1/testkit/slow").status; });
    ASSERT_TRUE(waitForFile(vtpd->dir() + "/data/slow-entered", -1, std::chrono::seconds(10)));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(vtpd->get("/health").status, 200); // served by a stand-in
    writeFile(vtpd->dir() + "/data/slow-release", "go\n");
    EXPECT_EQ(slow.get(), 200);
    EXPECT_EQ(vtpd->get("/health").status, 200);
}

TEST(HttpConnections, ManyBlockedHandlersGetStandInsAtOnce)
{
    // Several workers found slow in one sweep: each gets a stand-in, new threads included.
    auto vtpd = startWith({{"VTP_HTTP__THREADS", "2"}, {"VTP_HTTP__MAX_THREADS", "64"}});
    std::vector<std::future<int>> slow;
    for (int i = 0; i < 12; ++i) slow.push_back(std::async(std::launch::async, [&] { return vtpd->get("/api/v1/testkit/slow").status; }));
    ASSERT_TRUE(waitForFile(vtpd->dir() + "/data/slow-entered", -1, std::chrono::seconds(10)));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(vtpd->get("/health").status, 200);
    writeFile(vtpd->dir() + "/data/slow-release", "go\n");
    for (auto& f : slow) EXPECT_EQ(f.get(), 200);
    EXPECT_EQ(vtpd->get("/health").status, 200);
}

TEST(HttpConnections, HeadsThatTrickleInHoldNoWorker)
{
    auto vtpd = startWith({{"VTP_HTTP__THREADS", "1"}});
    std::vector<std::unique_ptr<RawHttpConnection>> slow;
    for (int i = 0; i < 4; ++i) {
        slow.push_back(std::make_unique<RawHttpConnection>(vtpd->httpPort()));
        slow.back()->send("GET /api/v1/hello/slow HTTP/1.1\r\nHo"); // and then nothing for a while
    }
    // The only worker is free for a client that sends a whole request.
    RawHttpConnection quick(vtpd->httpPort());
    EXPECT_EQ(getOn(quick, "quick").status, 200);
    // Each slow head is served once it is complete.
    for (auto& c : slow) {
        c->send("st: x\r\n\r\n");
        auto r = c->readResponse();
        EXPECT_EQ(jsonString(r.json(), "greeting"), "Hello, slow!");
    }
}

TEST(HttpConnections, PipelinedRequestsAreAnsweredInOrder)
{
    auto vtpd = startWith({{"VTP_HTTP__THREADS", "1"}});
    RawHttpConnection c(vtpd->httpPort());
    // Both requests in one write: the second waits in the server's read buffer, not the socket.
    c.send("GET /api/v1/hello/one HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/hello/two HTTP/1.1\r\nHost: x\r\n\r\n");
    auto first = c.readResponse();
    auto second = c.readResponse();
    EXPECT_EQ(jsonString(first.json(), "greeting"), "Hello, one!");
    EXPECT_EQ(jsonString(second.json(), "greeting"), "Hello, two!");
}

TEST(HttpConnections, IdleKeepAliveConnectionIsClosedAfterTheTimeout)
{
    auto vtpd = startWith({{"VTP_HTTP__KEEPALIVE_TIMEOUT_SECONDS", "1"}});
    RawHttpConnection c(vtpd->httpPort());
    ASSERT_EQ(getOn(c, "idle").status, 200);
    const auto answered = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closedByServer()); // within the client's 10 s receive timeout
    EXPECT_GE(std::chrono::steady_clock::now() - answered, std::chrono::milliseconds(900));
    EXPECT_EQ(vtpd->get("/health").status, 200);
}

TEST(HttpConnections, SilentNewConnectionIsClosedAfterTheRequestTimeout)
{
    auto vtpd = startWith({{"VTP_HTTP__REQUEST_TIMEOUT_SECONDS", "1"}});
    RawHttpConnection silent(vtpd->httpPort());
    EXPECT_TRUE(silent.closedByServer());
    RawHttpConnection partial(vtpd->httpPort());
    partial.send("GET /health HTTP/1.1\r\nHo"); // a head that never ends
    EXPECT_TRUE(partial.closedByServer());
    EXPECT_EQ(vtpd->get("/health").status, 200);
}

TEST(HttpConnections, ConnectionsBeyondTheCapAreClosedAndTheServerRecovers)
{
    auto vtpd = startWith({{"VTP_HTTP__MAX_CONNECTIONS", "5"}});
    std::vector<std::unique_ptr<RawHttpConnection>> conns;
    for (int i = 0; i < 5; ++i) {
        conns.push_back(std::make_unique<RawHttpConnection>(vtpd->httpPort()));
        ASSERT_EQ(getOn(*conns.back(), "cap").status, 200); // now surely counted
    }
    RawHttpConnection extra(vtpd->httpPort()); // the handshake completes in the kernel's backlog
    EXPECT_TRUE(extra.closedByServer());
    for (auto& c : conns) EXPECT_EQ(getOn(*c, "still").status, 200);
    conns.pop_back(); // closes one: a new client gets its place once the server has seen it
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        RawHttpConnection next(vtpd->httpPort());
        next.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        status = next.readResponse().status;
    }
    EXPECT_EQ(status, 200);
}
