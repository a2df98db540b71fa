// The tus request headers: sizes, Upload-Metadata, Upload-Checksum, and Tus-Resumable (Base64 itself: tests/sdk/Base64Test.cpp).
#include "TusHeaders.hpp"

#include <gtest/gtest.h>

using namespace vtp::recording::tus;

TEST(TusSize, AcceptsDecimalsUpToInt64MaxWithOptionalWhiteSpace)
{
    EXPECT_EQ(parseSize("0").value, 0u);
    EXPECT_EQ(parseSize(" 12345\t").value, 12345u);
    EXPECT_EQ(parseSize("9223372036854775807").value, 9223372036854775807ull);
}

TEST(TusSize, RefusesSignsFractionsOverflowAndEmptiness)
{
    for (const char* bad : {"", " ", "-1", "+1", "1.5", "1e3", "0x10", "9223372036854775808", "99999999999999999999", "1 2", "١"})
        EXPECT_FALSE(parseSize(bad)) << bad;
}

TEST(TusMetadata, ParsesPairsAndKeysWithoutValues)
{
    const auto m = parseMetadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, source Y2FtZXJh");
    ASSERT_TRUE(m) << m.error;
    ASSERT_EQ(m.value->size(), 3u);
    EXPECT_EQ(metadataValue(*m.value, "filename"), "world_domination_plan.pdf");
    EXPECT_FALSE((*m.value)[1].value.has_value());
    EXPECT_EQ((*m.value)[1].key, "is_confidential");
    EXPECT_EQ(metadataValue(*m.value, "source"), "camera");
    EXPECT_TRUE(parseMetadata("")) << "no metadata at all is fine";
    EXPECT_EQ(metadataValue(*parseMetadata("empty ").value, "empty"), std::nullopt);
}

TEST(TusMetadata, RefusesDuplicatesBadBase64EmptyPairsAndTooMany)
{
    EXPECT_FALSE(parseMetadata("a YQ==,a Yg=="));
    EXPECT_FALSE(parseMetadata("a YQ"));    // unpadded
    EXPECT_FALSE(parseMetadata("a Y!=="));  // not the alphabet
    EXPECT_FALSE(parseMetadata("a YR=="));  // non-canonical: dropped bits set
    EXPECT_FALSE(parseMetadata("a YQ==,")); // an empty pair
    EXPECT_FALSE(parseMetadata(",a"));
    EXPECT_FALSE(parseMetadata("k\x01 YQ=="));
    std::string many;
    for (int i = 0; i <= 32; ++i) many += (i ? "," : "") + std::string("k") + std::to_string(i);
    EXPECT_FALSE(parseMetadata(many));
    EXPECT_FALSE(parseMetadata("k " + std::string(2000, 'A')));
}

TEST(TusMetadata, FormatParsesBackToTheSamePairs)
{
    const std::vector<MetadataPair> pairs{
        {"filename", std::string("lecture \xc3\xa9t\xc3\xa9.webm")}, {"flag", std::nullopt}, {"x", std::string("\0\xff", 2)}};
    const auto again = parseMetadata(formatMetadata(pairs));
    ASSERT_TRUE(again) << again.error;
    ASSERT_EQ(again.value->size(), 3u);
    for (size_t i = 0; i < pairs.size(); ++i) {
        EXPECT_EQ((*again.value)[i].key, pairs[i].key);
        EXPECT_EQ((*again.value)[i].value, pairs[i].value);
    }
}

TEST(TusChecksum, ParsesAlgorithmAndDigest)
{
    // sha1("hello") = aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d
    const auto c = parseChecksum("SHA1 qvTGHdzF6KLavt4PO0gs2a6pQ00=");
    ASSERT_TRUE(c) << c.error;
    EXPECT_EQ(c.value->algorithm, "sha1");
    EXPECT_EQ(c.value->digest.size(), 20u);
    EXPECT_EQ(static_cast<unsigned char>(c.value->digest[0]), 0xaa);
    EXPECT_FALSE(parseChecksum("sha1"));
    EXPECT_FALSE(parseChecksum("sha1 not base64"));
    EXPECT_FALSE(parseChecksum(" qvTGHdzF6KLavt4PO0gs2a6pQ00="));
    EXPECT_FALSE(parseChecksum("sh@1 qvTGHdzF6KLavt4PO0gs2a6pQ00="));
}

TEST(TusVersion, OnlyOnePointZeroPointZero)
{
    EXPECT_TRUE(supportedVersion("1.0.0"));
    EXPECT_TRUE(supportedVersion(" 1.0.0 "));
    EXPECT_FALSE(supportedVersion("0.2.2"));
    EXPECT_FALSE(supportedVersion("1.0"));
    EXPECT_FALSE(supportedVersion(""));
}
