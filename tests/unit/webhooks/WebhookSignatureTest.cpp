#include "webhooks/WebhookService.hpp"
#include "webhooks/WebhookSignature.hpp"

#include <gtest/gtest.h>

using namespace vtp::kernel;

TEST(WebhookSignature, HmacSha256MatchesRfc4231)
{
    // RFC 4231, test case 2.
    EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, SignsTimestampDotBody)
{
    const std::string body = R"({"event":"user.created"})";
    EXPECT_EQ(webhookSignature("s3cret", "1700000000", body), "sha256=" + hmacSha256Hex("s3cret", "1700000000." + body));
    EXPECT_NE(webhookSignature("s3cret", "1700000001", body), webhookSignature("s3cret", "1700000000", body));
}

TEST(WebhookSignature, GeneratedSecretsAre64HexDigitsAndDiffer)
{
    const auto a = generateWebhookSecret(), b = generateWebhookSecret();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}

TEST(WebhookUrl, AcceptsHttpAndHttpsOnly)
{
    EXPECT_NO_THROW(WebhookService::validateUrl("https://hooks.example.org/vtp?x=1"));
    EXPECT_NO_THROW(WebhookService::validateUrl("http://10.0.0.7:8080/in"));
    for (const char* bad : {"", "ftp://example.org/x", "file:///etc/passwd", "gopher://x", "https://user:pw@example.org/", "/relative/path",
                            "https://example.org/#frag"})
        EXPECT_THROW(WebhookService::validateUrl(bad), WebhookError) << bad;
}
