// WebSockets on the real vtpd, through the example plugin's /hello/echo endpoint.
#include "IntegrationSupport.hpp"

#include <Poco/Net/WebSocket.h>

#include <gtest/gtest.h>

using namespace vtp::test;
using Poco::Net::WebSocket;

namespace {

constexpr size_t kMaxMessage = 64 * 1024;
constexpr size_t kMaxSendQueue = 256 * 1024;

class Ws : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        VtpdOptions o;
        o.enabled = {"hello"};
        // VtpdProcess already writes a [websocket] table, so the limits come as overrides.
        o.env = {{"VTP_WEBSOCKET__MAX_MESSAGE_BYTES", std::to_string(kMaxMessage)},
                 {"VTP_WEBSOCKET__MAX_SEND_QUEUE_BYTES", std::to_string(kMaxSendQueue)}};
        vtpd_ = new VtpdProcess(o);
        ASSERT_TRUE(vtpd_->start()) << vtpd_->logs();
    }
    static void TearDownTestSuite()
    {
        delete vtpd_;
        vtpd_ = nullptr;
    }

    static std::unique_ptr<WsClient> connect()
    {
        auto c = std::make_unique<WsClient>(vtpd_->wsPort(), "/hello/echo");
        auto greeting = c->receive();
        EXPECT_EQ(greeting.opcode, WebSocket::FRAME_OP_TEXT);
        EXPECT_EQ(greeting.data, "Hello");
        return c;
    }

    // A frame other than a close frame arrives before the close: skip it.
    static WsClient::Frame receiveClose(WsClient& c)
    {
        for (int i = 0; i < 16; ++i) {
            auto f = c.receive();
            if (f.isClose()) return f;
        }
        ADD_FAILURE() << "no close frame";
        return {};
    }

    static VtpdProcess* vtpd_;
};

VtpdProcess* Ws::vtpd_ = nullptr;

} // namespace

TEST_F(Ws, GreetingArrivesOnOpen)
{
    WsClient c(vtpd_->wsPort(), "/hello/echo");
    auto f = c.receive();
    EXPECT_EQ(f.opcode, WebSocket::FRAME_OP_TEXT);
    EXPECT_EQ(f.data, "Hello");
}

TEST_F(Ws, EchoesTextMessages)
{
    auto c = connect();
    c->sendText("ping one");
    auto f = c->receive();
    EXPECT_EQ(f.opcode, WebSocket::FRAME_OP_TEXT);
    EXPECT_EQ(f.data, "ping one");
}

TEST_F(Ws, EchoesBinaryMessagesByteForByte)
{
    auto c = connect();
    std::string bytes;
    for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>(i % 256));
    c->sendBinary(bytes);
    auto f = c->receive();
    EXPECT_EQ(f.opcode, WebSocket::FRAME_OP_BINARY);
    EXPECT_EQ(f.data, bytes);
}

TEST_F(Ws, MessageOverLimitClosesWith1009AndServerKeepsServing)
{
    auto c = connect();
    c->sendText(std::string(kMaxMessage + 1024, 'x'));
    auto close = receiveClose(*c);
    EXPECT_EQ(close.closeCode(), 1009) << "close payload: " << close.data;

    auto next = connect();
    next->sendText("still here");
    EXPECT_EQ(next->receive().data, "still here");
}

TEST_F(Ws, UnknownPathIsRefusedAtHandshake)
{
    Poco::Net::HTTPClientSession session("127.0.0.1", vtpd_->wsPort());
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/no/such/socket", Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    EXPECT_THROW(WebSocket(session, request, response), Poco::Net::WebSocketException);
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
}

TEST_F(Ws, ClientThatNeverReadsIsDisconnectedWithoutUnboundedMemory)
{
    auto c = connect();
    c->socket->setSendTimeout(Poco::Timespan(5, 0));
    const std::string payload(kMaxMessage - 1024, 'y');
    const long baseline = residentKiB(vtpd_->pid());
    ASSERT_GT(baseline, 0);
    long peak = baseline;
    size_t sent = 0;
    bool disconnected = false;
    // Every message is echoed back unread; far more than the send queue bound is offered.
    const size_t offered = size_t{512} << 20;
    while (sent < offered) {
        try {
            c->sendBinary(payload);
        } catch (const Poco::Exception&) {
            disconnected = true;
            break;
        }
        sent += payload.size();
        if ((sent / payload.size()) % 16 == 0) peak = std::max(peak, residentKiB(vtpd_->pid()));
    }
    peak = std::max(peak, residentKiB(vtpd_->pid()));
    EXPECT_TRUE(disconnected) << "sent " << sent << " bytes without being disconnected";
    EXPECT_LT(peak - baseline, 64 * 1024) << "vtpd grew from " << baseline << " KiB to " << peak << " KiB";
    EXPECT_NE(vtpd_->logs().find("send queue full"), std::string::npos);

    auto next = connect();
    next->sendText("after the flood");
    EXPECT_EQ(next->receive().data, "after the flood");
    EXPECT_EQ(vtpd_->get("/health").status, 200);
}
