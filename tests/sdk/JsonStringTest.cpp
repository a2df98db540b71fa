// The SDK's JSON string writer (vtp/json_string.hpp): JSON.stringify's escapes, and valid JSON
// whatever bytes it is given.
#include "vtp/json_check.hpp"
#include "vtp/json_string.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::string_literals;

TEST(JsonString, EscapesAsJsonStringifyDoes)
{
    EXPECT_EQ(vtp::jsonString("plain"), R"("plain")");
    EXPECT_EQ(vtp::jsonString("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(vtp::jsonString("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(vtp::jsonString("\x01\x1f"s + '\0'), R"("\u0001\u001f\u0000")");
    EXPECT_EQ(vtp::jsonString("\x7f/<"), "\"\x7f/<\""); // JSON.stringify leaves DEL, '/' and '<' as they are
}

TEST(JsonString, KeepsUtf8AndReplacesEveryByteThatIsNotUtf8)
{
    EXPECT_EQ(vtp::jsonString("h\xC3\xA9llo \xF0\x9F\x8E\x93"), "\"h\xC3\xA9llo \xF0\x9F\x8E\x93\"");
    const std::string replacement = "\xEF\xBF\xBD";
    EXPECT_EQ(vtp::jsonString("a\xFF"
                              "b"),
              "\"a" + replacement + "b\"");
    EXPECT_EQ(vtp::jsonString("\xC0\xAF"), "\"" + replacement + replacement + "\"");                   // overlong '/'
    EXPECT_EQ(vtp::jsonString("\xED\xA0\x80"), "\"" + replacement + replacement + replacement + "\""); // a surrogate
    EXPECT_EQ(vtp::jsonString("end\xE2\x82"), "\"end" + replacement + replacement + "\"");             // cut short
}

TEST(JsonString, EveryByteStringIsValidJson)
{
    // Every single byte and every pair of bytes, written and read back by the SDK's own check.
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; b += 7) {
            const std::string in{static_cast<char>(a), static_cast<char>(b), 'x'};
            const std::string doc = "[" + vtp::jsonString(in) + "]";
            EXPECT_TRUE(vtp::json::check(doc).ok()) << a << " " << b << ": " << doc;
        }
}

TEST(JsonString, AppendsWithoutQuotes)
{
    std::string out = "{\"k\":\"";
    vtp::appendJsonEscaped(out, "v\n");
    EXPECT_EQ(out, "{\"k\":\"v\\n");
    EXPECT_TRUE(vtp::utf8::valid("caf\xC3\xA9"));
    EXPECT_FALSE(vtp::utf8::valid("caf\xC3"));
}

} // namespace
