// vtp/base64.hpp: the SDK's one Base64 codec (tus headers, Engine.IO polling, JWT segments).
#include <vtp/base64.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace {

using vtp::base64Decode;
using vtp::base64Encode;
using vtp::base64UrlDecode;
using vtp::base64UrlEncode;

// RFC 4648 section 10, in both forms (base64url has no padding).
const std::pair<std::string, std::string> kRfc4648[] = {
    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};

std::string unpadded(std::string s)
{
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

TEST(SdkBase64, MatchesRfc4648TestVectors)
{
    for (const auto& [plain, encoded] : kRfc4648) {
        EXPECT_EQ(base64Encode(plain), encoded);
        EXPECT_EQ(base64Decode(encoded), plain) << encoded;
        EXPECT_EQ(base64UrlEncode(plain), unpadded(encoded));
        EXPECT_EQ(base64UrlDecode(unpadded(encoded)), plain) << encoded;
    }
}

TEST(SdkBase64, AppendsToWhatIsThere)
{
    std::string out = "b";
    vtp::base64Append(out, "fooba");
    EXPECT_EQ(out, "bZm9vYmE=");
}

TEST(SdkBase64, RoundTripsEveryByteAndEveryLength)
{
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(base64Decode(base64Encode(bytes)), bytes) << i;
        ASSERT_EQ(base64UrlDecode(base64UrlEncode(bytes)), bytes) << i;
        bytes += static_cast<char>(i * 37);
    }
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    EXPECT_EQ(base64Decode(base64Encode(all)), all);
    // The two alphabets differ in exactly the last two characters.
    EXPECT_EQ(base64Encode("\xfb\xff\xbf"), "+/+/");
    EXPECT_EQ(base64UrlEncode("\xfb\xff\xbf"), "-_-_");
}

TEST(SdkBase64, RefusesMissingMisplacedOrExtraPadding)
{
    EXPECT_FALSE(base64Decode("Zg"));       // unpadded
    EXPECT_FALSE(base64Decode("Zg="));      // half padded
    EXPECT_FALSE(base64Decode("Zm9vYg"));   // unpadded after a whole quad
    EXPECT_FALSE(base64Decode("Z==="));     // three '='
    EXPECT_FALSE(base64Decode("===="));     // padding only
    EXPECT_FALSE(base64Decode("Zg=a"));     // data after padding
    EXPECT_FALSE(base64Decode("Zg==Zg==")); // padding in the middle
    EXPECT_FALSE(base64Decode("Z"));
    EXPECT_FALSE(base64Decode("Zm9vY"));
    EXPECT_FALSE(base64UrlDecode("Zg==")); // base64url carries no padding
    EXPECT_FALSE(base64UrlDecode("Zm8="));
    EXPECT_FALSE(base64UrlDecode("Z")); // no length of 4n+1 is an encoding
    EXPECT_FALSE(base64UrlDecode("Zm9vY"));
}

TEST(SdkBase64, RefusesCharactersOutsideTheAlphabet)
{
    EXPECT_FALSE(base64Decode("Zm9v!"));
    EXPECT_FALSE(base64Decode("Zm9-")); // the URL-safe alphabet is not the standard one
    EXPECT_FALSE(base64Decode("Zm9_"));
    EXPECT_FALSE(base64UrlDecode("Zm9+")); // nor the other way round
    EXPECT_FALSE(base64UrlDecode("Zm9/"));
    EXPECT_FALSE(base64Decode(std::string("Zm9\0", 4)));
    EXPECT_FALSE(base64Decode("Zm9\x80"));
    EXPECT_FALSE(base64Decode("Zm9\xff"));
    for (int c = 0; c < 256; ++c) {
        const bool inStandard = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                                c == '='; // "AAA=" is two zero bytes, padded
        EXPECT_EQ(base64Decode(std::string("AAA") + static_cast<char>(c)).has_value(), inStandard) << c;
    }
}

TEST(SdkBase64, RefusesWhitespaceAndLineBreaks)
{
    EXPECT_FALSE(base64Decode("Zm9v\n"));
    EXPECT_FALSE(base64Decode("Zm9v\r\nYmFy"));
    EXPECT_FALSE(base64Decode(" Zm9v"));
    EXPECT_FALSE(base64Decode("Zm 9v"));
    EXPECT_FALSE(base64Decode("Zm9\t"));
    EXPECT_FALSE(base64UrlDecode("Zm9v "));
}

TEST(SdkBase64, RefusesNonZeroBitsPastTheLastByte)
{
    // "Zg==" is 'f'; "Zh==" .. "Zv==" carry the same byte with stray low bits.
    EXPECT_EQ(base64Decode("Zg=="), "f");
    EXPECT_FALSE(base64Decode("Zh=="));
    EXPECT_FALSE(base64Decode("Zv=="));
    EXPECT_EQ(base64Decode("Zm8="), "fo");
    EXPECT_FALSE(base64Decode("Zm9="));
    EXPECT_FALSE(base64UrlDecode("Zh"));
    EXPECT_FALSE(base64UrlDecode("Zm9"));
}

} // namespace
