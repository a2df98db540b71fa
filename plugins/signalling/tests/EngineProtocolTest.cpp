// Engine.IO v4: packets, polling payloads, the handshake query, the open packet, error bodies,
// base64 packets. Golden vectors are the examples of the Engine.IO v4 protocol document.
#include "protocol/EngineHandshake.hpp"
#include "protocol/EnginePacket.hpp"
#include "protocol/PollingPayload.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace vtp::signalling::protocol;

namespace {

constexpr std::size_t kMax = 1000000;

std::vector<EnginePacket> decodePayload(std::string_view body)
{
    auto r = PollingPayload::decode(body, kMax);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::vector<EnginePacket>{};
}

ProtocolErrc payloadError(std::string_view body, std::size_t max = kMax)
{
    auto r = PollingPayload::decode(body, max);
    EXPECT_FALSE(r.ok());
    return r.ok() ? ProtocolErrc::BadArgument : r.error().code;
}

} // namespace

TEST(EnginePacket, EveryTypeRoundTripsAsText)
{
    for (int t = 0; t <= 6; ++t) {
        const auto type = static_cast<EnginePacketType>(t);
        const EnginePacket packet = EnginePacket::of(type, t == 4 ? "hello" : "");
        const std::string text = packet.encode();
        EXPECT_EQ(text, std::to_string(t) + (t == 4 ? "hello" : ""));
        auto decoded = EnginePacket::decodeText(text, kMax);
        ASSERT_TRUE(decoded.ok()) << toString(type);
        EXPECT_EQ(*decoded, packet);
    }
}

TEST(EnginePacket, DecodesTheSpecWebSocketExamples)
{
    auto hello = EnginePacket::decodeText("4hello", kMax);
    ASSERT_TRUE(hello.ok());
    EXPECT_EQ(hello->type, EnginePacketType::Message);
    EXPECT_EQ(hello->data, "hello");
    EXPECT_FALSE(hello->binary);

    auto ping = EnginePacket::decodeText("2", kMax);
    ASSERT_TRUE(ping.ok());
    EXPECT_EQ(ping->type, EnginePacketType::Ping);
    EXPECT_EQ(ping->data, "");
    EXPECT_EQ(EnginePacket::of(EnginePacketType::Pong).encode(), "3");
    EXPECT_EQ(EnginePacket::of(EnginePacketType::Noop).encode(), "6");
    EXPECT_EQ(EnginePacket::of(EnginePacketType::Close).encode(), "1");
}

TEST(EnginePacket, BinaryFrameIsAMessageWithRawBytes)
{
    const std::string bytes("\x01\x02\x03\x04", 4);
    auto p = EnginePacket::decodeBinary(bytes, kMax);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->type, EnginePacketType::Message);
    EXPECT_TRUE(p->binary);
    EXPECT_EQ(p->data, bytes);
    EXPECT_EQ(p->encode(), bytes); // no type byte on a WebSocket binary frame
}

TEST(EnginePacket, ProbeHandshakeDuringUpgrade)
{
    auto probe = EnginePacket::decodeText("2probe", kMax);
    ASSERT_TRUE(probe.ok());
    EXPECT_TRUE(probe->isProbePing());
    EXPECT_EQ(EnginePacket::probePong().encode(), "3probe");
    auto upgrade = EnginePacket::decodeText("5", kMax);
    ASSERT_TRUE(upgrade.ok());
    EXPECT_EQ(upgrade->type, EnginePacketType::Upgrade);
    EXPECT_FALSE(EnginePacket::decodeText("2", kMax)->isProbePing());
}

TEST(EnginePacket, RefusesBadTypeEmptyAndOversizedFrames)
{
    EXPECT_EQ(EnginePacket::decodeText("", kMax).error().code, ProtocolErrc::EmptyPacket);
    EXPECT_EQ(EnginePacket::decodeText("7", kMax).error().code, ProtocolErrc::BadEngineType);
    EXPECT_EQ(EnginePacket::decodeText("abc", kMax).error().code, ProtocolErrc::BadEngineType);
    EXPECT_EQ(EnginePacket::decodeText("b4", kMax).error().code, ProtocolErrc::BadEngineType); // "b" only in polling
    EXPECT_EQ(EnginePacket::decodeText("4hello", 5).error().code, ProtocolErrc::TooLarge);
    EXPECT_TRUE(EnginePacket::decodeText("4hell", 5).ok());
    EXPECT_EQ(EnginePacket::decodeBinary(std::string(6, 'x'), 5).error().code, ProtocolErrc::TooLarge);
}

TEST(PollingPayload, DecodesTheSpecExamples)
{
    auto p = decodePayload("4hello\x1e"
                           "2\x1e"
                           "4world");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], EnginePacket::message("hello"));
    EXPECT_EQ(p[1], EnginePacket::of(EnginePacketType::Ping));
    EXPECT_EQ(p[2], EnginePacket::message("world"));

    auto mixed = decodePayload("4hello\x1e"
                               "bAQIDBA==");
    ASSERT_EQ(mixed.size(), 2u);
    EXPECT_EQ(mixed[0], EnginePacket::message("hello"));
    EXPECT_EQ(mixed[1], EnginePacket::binaryMessage(std::string("\x01\x02\x03\x04", 4)));

    auto two = decodePayload("4hello\x1e"
                             "4world");
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[1].data, "world");

    auto sio = decodePayload("42[\"hello\"]\x1e"
                             "42[\"world\"]");
    ASSERT_EQ(sio.size(), 2u);
    EXPECT_EQ(sio[0].data, "2[\"hello\"]");
}

TEST(PollingPayload, EncodesMixedTextAndBinaryPackets)
{
    const std::vector<EnginePacket> packets{
        EnginePacket::message("hello"),
        EnginePacket::of(EnginePacketType::Ping),
        EnginePacket::binaryMessage(std::string("\x01\x02\x03\x04", 4)),
        EnginePacket::message("52-[\"x\"]"),
        EnginePacket::binaryMessage(std::string("\x00\xff", 2)),
        EnginePacket::binaryMessage(""),
    };
    auto body = PollingPayload::encode(packets);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(*body, "4hello\x1e"
                     "2\x1e"
                     "bAQIDBA==\x1e"
                     "452-[\"x\"]\x1e"
                     "bAP8=\x1e"
                     "b");
    auto back = PollingPayload::decode(*body, kMax);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, packets);
}

TEST(PollingPayload, AppendsPreEncodedPacketsWithSeparators)
{
    std::string body;
    EXPECT_TRUE(PollingPayload::appendText(body, "42[\"a\"]"));
    PollingPayload::appendBinary(body, "\x01");
    EXPECT_TRUE(PollingPayload::appendText(body, "3"));
    EXPECT_EQ(body, "42[\"a\"]\x1e"
                    "bAQ==\x1e"
                    "3");
    EXPECT_FALSE(PollingPayload::appendText(body, "4a\x1e"
                                                  "b"));
    std::vector<EnginePacket> bad{EnginePacket::message("a\x1e"
                                                        "b")};
    EXPECT_EQ(PollingPayload::encode(bad).error().code, ProtocolErrc::BadArgument);
}

TEST(PollingPayload, RefusesMalformedPayloads)
{
    EXPECT_EQ(payloadError(""), ProtocolErrc::EmptyPacket);
    EXPECT_EQ(payloadError("4a\x1e\x1e"
                           "4b"),
              ProtocolErrc::EmptyPacket);
    EXPECT_EQ(payloadError("4a\x1e"), ProtocolErrc::EmptyPacket);
    EXPECT_EQ(payloadError("4a\x1e"
                           "9"),
              ProtocolErrc::BadEngineType);
    EXPECT_EQ(payloadError("abc"), ProtocolErrc::BadEngineType);
    EXPECT_EQ(payloadError("b!!!!"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("bA"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("bAQ=x"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("4hello\x1e"
                           "4world",
                           12),
              ProtocolErrc::TooLarge);
    EXPECT_TRUE(PollingPayload::decode("4hello\x1e"
                                       "4world",
                                       13)
                    .ok());
}

TEST(EngineHandshake, OpenPacketMatchesTheSpecSample)
{
    EngineOpenOptions o;
    o.sid = "lv_VI97HAXpY6yYWAAAC";
    o.pingInterval = 25000;
    o.pingTimeout = 5000;
    o.maxPayload = 1000000;
    EXPECT_EQ(EngineHandshake::openPacket(o),
              R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000})");
    o.upgrades.clear();
    EXPECT_EQ(EngineHandshake::openPacket(o),
              R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000})");
}

TEST(EngineHandshake, AcceptsHandshakesAndSessionRequests)
{
    auto polling = EngineHandshake::checkRequest("GET", "EIO=4&transport=polling&t=N8hyd6w");
    ASSERT_TRUE(polling.ok());
    EXPECT_EQ(polling->transport, EngineTransport::Polling);
    EXPECT_TRUE(polling->isHandshake());

    auto ws = EngineHandshake::checkRequest("GET", "EIO=4&transport=websocket");
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ(ws->transport, EngineTransport::WebSocket);

    auto post = EngineHandshake::checkRequest("POST", "EIO=4&transport=polling&t=N8hzxke&sid=lv_VI97HAXpY6yYWAAAC");
    ASSERT_TRUE(post.ok());
    EXPECT_EQ(post->sid, "lv_VI97HAXpY6yYWAAAC");
    EXPECT_FALSE(post->isHandshake());

    auto upgrade = EngineHandshake::checkRequest("GET", "EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC");
    ASSERT_TRUE(upgrade.ok());
    EXPECT_EQ(upgrade->transport, EngineTransport::WebSocket);
}

TEST(EngineHandshake, RefusesBadRequestsWithEngineIoCodes)
{
    auto code = [](std::string_view method, std::string_view query) {
        auto r = EngineHandshake::checkRequest(method, query);
        EXPECT_FALSE(r.ok()) << query;
        return r.ok() ? EngineErrorCode::BadRequest : r.error().code;
    };
    EXPECT_EQ(code("GET", "EIO=4"), EngineErrorCode::UnknownTransport);
    EXPECT_EQ(code("GET", "EIO=4&transport=flashsocket"), EngineErrorCode::UnknownTransport);
    EXPECT_EQ(code("GET", "transport=polling"), EngineErrorCode::UnsupportedProtocolVersion);
    EXPECT_EQ(code("GET", "EIO=3&transport=polling"), EngineErrorCode::UnsupportedProtocolVersion);
    EXPECT_EQ(code("GET", "EIO=abc&transport=polling"), EngineErrorCode::UnsupportedProtocolVersion);
    EXPECT_EQ(code("POST", "EIO=4&transport=polling"), EngineErrorCode::BadHandshakeMethod);
    EXPECT_EQ(code("PUT", "EIO=4&transport=polling"), EngineErrorCode::BadHandshakeMethod);
    EXPECT_EQ(code("PUT", "EIO=4&transport=polling&sid=abc"), EngineErrorCode::BadRequest);
    EXPECT_EQ(code("POST", "EIO=4&transport=websocket&sid=abc"), EngineErrorCode::BadRequest);
    EXPECT_EQ(code("GET", "EIO=4&transport=polling&sid="), EngineErrorCode::UnknownSid);
    EXPECT_EQ(code("GET", "EIO=4&transport=polling&sid=a%2Fb"), EngineErrorCode::UnknownSid);
    EXPECT_EQ(code("GET", "EIO=4&transport=polling&sid=%zz"), EngineErrorCode::UnknownSid);
}

TEST(EngineHandshake, ErrorBodiesAreEngineIoJson)
{
    const std::pair<EngineErrorCode, std::string> cases[] = {
        {EngineErrorCode::UnknownTransport, R"({"code":0,"message":"Transport unknown"})"},
        {EngineErrorCode::UnknownSid, R"({"code":1,"message":"Session ID unknown"})"},
        {EngineErrorCode::BadHandshakeMethod, R"({"code":2,"message":"Bad handshake method"})"},
        {EngineErrorCode::BadRequest, R"({"code":3,"message":"Bad request"})"},
        {EngineErrorCode::Forbidden, R"({"code":4,"message":"Forbidden"})"},
        {EngineErrorCode::UnsupportedProtocolVersion, R"({"code":5,"message":"Unsupported protocol version"})"},
    };
    for (const auto& [code, body] : cases) {
        const EngineHttpError e{code};
        EXPECT_EQ(e.body(), body);
        EXPECT_EQ(e.httpStatus(), code == EngineErrorCode::Forbidden ? 403 : 400);
    }
}

TEST(PollingPayload, BinaryPacketsAreStrictPaddedBase64)
{
    // What every Engine.IO v4 encoder writes is accepted...
    const auto ok = decodePayload("bAQID\x1e"
                                  "bAQ==");
    ASSERT_EQ(ok.size(), 2u);
    EXPECT_EQ(ok[0].data, "\x01\x02\x03");
    EXPECT_EQ(ok[1].data, "\x01");
    // ...and nothing looser (vtp/base64.hpp): no unpadded, wrapped, URL-safe or non-canonical text.
    EXPECT_EQ(payloadError("bAQ"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("bAQ\nD"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("b-_-_"), ProtocolErrc::BadBase64);
    EXPECT_EQ(payloadError("bAR=="), ProtocolErrc::BadBase64);
}
