// Plain HTTP on a socket endpoint through the real vtpd (ABI 1.3): testkit's /testkit/poll holds a GET
// until a POST on the same path brings a message, which the plugin's own thread then answers it with.
#include "IntegrationSupport.hpp"

#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>

#include <chrono>
#include <future>

using namespace vtp::test;
using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxMessage = 64 * 1024;

struct Reply {
    int status = 0;
    std::string body;
    std::string remote;
};

class SocketHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.env = {{"VTP_WEBSOCKET__MAX_MESSAGE_BYTES", std::to_string(kMaxMessage)}, {"VTP_WEBSOCKET__HTTP_RESPONSE_TIMEOUT_SECONDS", "2"}};
        vtpd_ = new VtpdProcess(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
    }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }

    static Reply exchange(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& target,
                          const std::string& body = {})
    {
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        if (method == Poco::Net::HTTPRequest::HTTP_POST) {
            request.setContentType("text/plain;charset=UTF-8");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Reply reply;
        Poco::StreamCopier::copyToString(in, reply.body);
        reply.status = static_cast<int>(response.getStatus());
        reply.remote = response.get("X-Testkit-Remote", "");
        return reply;
    }

    static Reply poll(const std::string& target = "/testkit/poll?EIO=4&transport=polling")
    {
        Poco::Net::HTTPClientSession session("127.0.0.1", vtpd_->wsPort());
        session.setTimeout(Poco::Timespan(10, 0));
        return exchange(session, Poco::Net::HTTPRequest::HTTP_GET, target);
    }

    static Reply post(const std::string& body)
    {
        Poco::Net::HTTPClientSession session("127.0.0.1", vtpd_->wsPort());
        session.setTimeout(Poco::Timespan(10, 0));
        return exchange(session, Poco::Net::HTTPRequest::HTTP_POST, "/testkit/poll?EIO=4&transport=polling", body);
    }

    static VtpdProcess* vtpd_;
};

VtpdProcess* SocketHttp::vtpd_ = nullptr;

// The status line of what vtpd answers to raw request bytes.
int rawStatus(uint16_t port, const std::string& request)
{
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    std::string head;
    char c = 0;
    while (head.find("\r\n") == std::string::npos && socket.receiveBytes(&c, 1) == 1) head += c;
    return head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0;
}

} // namespace

TEST_F(SocketHttp, HeldGetIsAnsweredWithTheMessageOfALaterPost)
{
    auto held = std::async(std::launch::async, [] { return poll(); });
    EXPECT_EQ(held.wait_for(300ms), std::future_status::timeout) << "a GET without a message waits";
    const Reply posted = post("4hello");
    EXPECT_EQ(posted.status, 200);
    EXPECT_EQ(posted.body, "queued");
    ASSERT_EQ(held.wait_for(10s), std::future_status::ready);
    const Reply reply = held.get();
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "4hello");
    EXPECT_EQ(reply.remote, "127.0.0.1");
}

TEST_F(SocketHttp, OneKeepAliveConnectionCarriesSeveralRequests)
{
    Poco::Net::HTTPClientSession session("127.0.0.1", vtpd_->wsPort());
    session.setTimeout(Poco::Timespan(10, 0));
    session.setKeepAlive(true); // otherwise Poco asks for Connection: close
    EXPECT_EQ(exchange(session, Poco::Net::HTTPRequest::HTTP_POST, "/testkit/poll", "first").status, 200);
    const auto localPort = session.socket().address().port();
    EXPECT_EQ(exchange(session, Poco::Net::HTTPRequest::HTTP_GET, "/testkit/poll").body, "first");
    EXPECT_EQ(exchange(session, Poco::Net::HTTPRequest::HTTP_POST, "/testkit/poll", "second").status, 200);
    EXPECT_EQ(exchange(session, Poco::Net::HTTPRequest::HTTP_GET, "/testkit/poll").body, "second");
    EXPECT_EQ(session.socket().address().port(), localPort) << "the session reconnected: no keep-alive";
}

TEST_F(SocketHttp, UnansweredGetGets504AndItsMessageGoesToTheNextGet)
{
    const auto begin = std::chrono::steady_clock::now();
    const Reply late = poll();
    EXPECT_EQ(late.status, 504) << late.body;
    EXPECT_GE(std::chrono::steady_clock::now() - begin, 1500ms);
    // The plugin's respond() to the timed-out GET returns false; the message waits for the next one.
    EXPECT_EQ(post("after the timeout").status, 200);
    const Reply next = poll();
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.body, "after the timeout");
}

TEST_F(SocketHttp, BodyOverMaxMessageBytesIsRefusedWith413)
{
    EXPECT_EQ(rawStatus(vtpd_->wsPort(),
                        "POST /testkit/poll HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kMaxMessage + 1) + "\r\n\r\n"),
              413);
    EXPECT_EQ(rawStatus(vtpd_->wsPort(), "POST /testkit/poll HTTP/1.1\r\nHost: x\r\n\r\n"), 411);
    EXPECT_EQ(vtpd_->get("/health").status, 200);
}

TEST_F(SocketHttp, PathsWithoutOnHttpKeepAnswering426)
{
    EXPECT_EQ(rawStatus(vtpd_->wsPort(), "GET /hello/echo HTTP/1.1\r\nHost: x\r\n\r\n"), 426);
    EXPECT_EQ(rawStatus(vtpd_->wsPort(), "GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
}
