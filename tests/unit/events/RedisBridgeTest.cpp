#include "events/RedisBridge.hpp"
#include "events/Resp.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

TEST(Resp, ParsesAPubSubMessageArrivingInPieces)
{
    const std::string wire = respCommand({"message", "vtp:events", "hello\r\nworld"}) + ":42\r\n";
    RespReader r;
    for (size_t i = 0; i + 1 < wire.size() - 5; ++i) {
        r.append(wire.substr(i, 1));
        ASSERT_FALSE(r.next().has_value()) << "complete after " << i + 1 << " bytes";
    }
    r.append(wire.substr(wire.size() - 6));
    auto v = r.next();
    ASSERT_TRUE(v.has_value());
    ASSERT_EQ(v->type, '*');
    ASSERT_EQ(v->items.size(), 3u);
    EXPECT_EQ(v->items[0].text, "message");
    EXPECT_EQ(v->items[2].text, "hello\r\nworld");
    auto i = r.next();
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(i->integer, 42);
    EXPECT_FALSE(r.next().has_value());
}

TEST(Resp, ReadsErrorsNullsAndRefusesGarbage)
{
    RespReader r;
    r.append("-ERR wrong\r\n$-1\r\n+OK\r\n");
    EXPECT_EQ(r.next()->text, "ERR wrong");
    EXPECT_TRUE(r.next()->null);
    EXPECT_EQ(r.next()->text, "OK");
    RespReader bad;
    bad.append("?what\r\n");
    EXPECT_THROW(bad.next(), RespError);
}

TEST(RedisEnvelope, RoundTripsThePayloadBytesExactly)
{
    const Event e{"user.created", "{ \"b\": 1, \"a\": \"\\u00e9\\n\" }", "node-a", "id-9"};
    const Event back = decodeEnvelope(encodeEnvelope(e));
    EXPECT_EQ(back.name, e.name);
    EXPECT_EQ(back.payload, e.payload);
    EXPECT_EQ(back.origin, e.origin);
    EXPECT_EQ(back.id, e.id);
    EXPECT_THROW(decodeEnvelope("{\"name\":\"x\"}"), std::invalid_argument);
    EXPECT_THROW(decodeEnvelope("not json"), std::invalid_argument);
}

TEST(RedisUrl, ParsesHostPortAndPassword)
{
    auto e = parseRedisUrl("redis://:s3cret@10.0.0.5:6380/0");
    EXPECT_EQ(e.host, "10.0.0.5");
    EXPECT_EQ(e.port, 6380);
    EXPECT_EQ(e.password, "s3cret");
    EXPECT_EQ(parseRedisUrl("redis://cache").port, 6379);
    EXPECT_THROW(parseRedisUrl("rediss://cache:6379"), std::invalid_argument);
    EXPECT_THROW(parseRedisUrl("http://cache"), std::invalid_argument);
}
