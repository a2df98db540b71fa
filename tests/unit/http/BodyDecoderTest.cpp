#include "http/BodyDecoder.hpp"

#include <gtest/gtest.h>

#include <string>

using vtp::kernel::BodyDecoder;

namespace {

struct Fed {
    std::string body;
    size_t used = 0;
};

Fed feedAll(BodyDecoder& d, std::string_view wire, size_t step = SIZE_MAX)
{
    Fed f;
    while (f.used < wire.size() && !d.done() && !d.failed()) {
        const size_t n = std::min(step, wire.size() - f.used);
        f.used += d.feed(wire.data() + f.used, n, [&](std::string_view s) {
            f.body.append(s);
            return true;
        });
    }
    return f;
}

} // namespace

TEST(BodyDecoder, FixedLengthStopsAtItsEndAndLeavesTheNextRequest)
{
    auto d = BodyDecoder::fixed(5);
    const auto f = feedAll(d, "helloGET / HTTP/1.1\r\n");
    EXPECT_TRUE(d.done());
    EXPECT_EQ(f.body, "hello");
    EXPECT_EQ(f.used, 5u);
    EXPECT_EQ(d.received(), 5u);
}

TEST(BodyDecoder, ChunkedWithExtensionsAndTrailersDecodesInAnySplit)
{
    const std::string wire = "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\nNEXT";
    for (size_t step : {size_t(1), size_t(2), size_t(5), size_t(64)}) {
        auto d = BodyDecoder::chunked();
        const auto f = feedAll(d, wire, step);
        EXPECT_TRUE(d.done()) << step << " " << d.error();
        EXPECT_EQ(f.body, "abc0123456789") << step;
        EXPECT_EQ(f.used, wire.size() - 4) << step; // "NEXT" is the next request's
    }
}

TEST(BodyDecoder, SafeAheadNeverRunsPastTheEnd)
{
    const std::string wire = "4\r\nabcd\r\n0\r\n\r\nNEXT";
    auto d = BodyDecoder::chunked();
    size_t used = 0;
    std::string body;
    while (!d.done()) {
        const size_t n = std::min(d.safeAhead(), wire.size() - used);
        ASSERT_GT(n, 0u);
        const size_t u = d.feed(wire.data() + used, n, [&](std::string_view s) {
            body.append(s);
            return true;
        });
        EXPECT_EQ(u, n); // what was safe is all taken
        used += u;
    }
    EXPECT_EQ(body, "abcd");
    EXPECT_EQ(wire.substr(used), "NEXT");
}

TEST(BodyDecoder, MalformedFramingIsAnErrorNotABody)
{
    for (const char* bad : {"x\r\n", "3\r\nabcd\r\n", "3\r\nabc\rX", "fffffffffffffffff\r\n", "\r\n"}) {
        auto d = BodyDecoder::chunked();
        feedAll(d, bad);
        EXPECT_TRUE(d.failed()) << bad;
    }
    auto longExt = BodyDecoder::chunked();
    feedAll(longExt, "1;" + std::string(BodyDecoder::kMaxLine, 'e') + "\r\n");
    EXPECT_TRUE(longExt.failed());
    auto longTrailer = BodyDecoder::chunked();
    feedAll(longTrailer, "0\r\n" + std::string(BodyDecoder::kMaxTrailer + 1, 't'));
    EXPECT_TRUE(longTrailer.failed());
}

TEST(BodyDecoder, ASinkThatRefusesStopsTheFeed)
{
    auto d = BodyDecoder::chunked();
    const std::string wire = "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
    const size_t used = d.feed(wire.data(), wire.size(), [](std::string_view) { return false; });
    EXPECT_EQ(used, 5u); // "2\r\nab"
    EXPECT_EQ(d.received(), 2u);
}

TEST(BodyDecoder, ChunkSizesOfGigabytesAreCountedIn64Bits)
{
    auto d = BodyDecoder::chunked();
    const std::string head = "140000000\r\n"; // 5 GiB
    EXPECT_EQ(d.feed(head.data(), head.size(), [](std::string_view) { return true; }), head.size());
    EXPECT_EQ(d.dataAhead(), 5ull << 30);
}
