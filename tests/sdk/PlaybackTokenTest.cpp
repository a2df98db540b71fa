// The SDK's playback token (vtp/playback_token.hpp), which the recording and streaming plugins
// sign their playback URLs with: only a token's canonical text parses, the MAC's input tells every
// field apart, the HMAC is RFC 4231's, and a token altered in any way, or presented for another
// resource, domain or key, is refused.
#include <vtp/base64.hpp>
#include <vtp/playback_token.hpp>

#include <gtest/gtest.h>

#include <vector>

using namespace vtp::playback;

namespace {

Token sample()
{
    Token t;
    t.expiresAt = 1765000000;
    t.admin = false;
    t.userId = "3f2c1a9e-0b7d-4c55-9f1e-2a6b8c4d0e11";
    t.mac = std::string(kMacBytes, '\x5a');
    return t;
}

} // namespace

TEST(PlaybackToken, FormatsAndParsesBack)
{
    const Token t = sample();
    const std::string text = format(t);
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"), std::string::npos) << text;
    const auto back = parse(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->expiresAt, t.expiresAt);
    EXPECT_EQ(back->admin, false);
    EXPECT_EQ(back->userId, t.userId);
    EXPECT_EQ(back->mac, t.mac);
    Token a = t;
    a.admin = true;
    EXPECT_TRUE(parse(format(a))->admin);
}

TEST(PlaybackToken, RefusesEverythingButTheCanonicalText)
{
    const std::string good = format(sample());
    const std::string mac = vtp::base64UrlEncode(std::string(kMacBytes, '\x5a'));
    const std::string user = vtp::base64UrlEncode("u1");
    for (const std::string& bad : std::vector<std::string>{
             std::string(), std::string("1"), std::string("...."), "2.1765000000.u." + user + "." + mac,
             "1.01765000000.u." + user + "." + mac, "1.-5.u." + user + "." + mac, "1.0.u." + user + "." + mac,
             "1.99999999999999999999.u." + user + "." + mac, "1.1765000000.x." + user + "." + mac, "1.1765000000.u.." + mac,
             "1.1765000000.u." + user + "." + mac.substr(1), "1.1765000000.u." + user + "." + mac + "A",
             "1.1765000000.u." + user + "." + mac + ".x", "1.1765000000.u.dTE=." + mac, "1.1765000000.u.dTF." + mac, good + " ",
             good.substr(0, good.size() - 1) + "=",
             "1.1765000000.u." + vtp::base64UrlEncode(std::string(kMaxUserIdBytes + 1, 'u')) + "." + mac,
             std::string(kMaxTokenChars + 1, 'A')})
        EXPECT_FALSE(parse(bad)) << bad;
}

TEST(PlaybackToken, SignedTextSeparatesEveryField)
{
    Token a = sample(), b = sample();
    EXPECT_EQ(signedText("d", "rec-1", a), signedText("d", "rec-1", b));
    EXPECT_NE(signedText("d", "rec-1", a), signedText("d", "rec-2", a));
    b.admin = true;
    EXPECT_NE(signedText("d", "rec-1", a), signedText("d", "rec-1", b));
    b = a;
    b.expiresAt += 1;
    EXPECT_NE(signedText("d", "rec-1", a), signedText("d", "rec-1", b));
    // Moving characters between the recording id and the user id changes the text.
    Token u = sample();
    u.userId = "b\nc";
    Token v = sample();
    v.userId = "c";
    EXPECT_NE(signedText("d", "a", u), signedText("d", "a\nb", v));
    // The domain is part of it: a recording's token is not a stream's.
    EXPECT_NE(signedText("vtp-recording-playback-1", "x", a), signedText("vtp-streaming-live-1", "x", a));
}

TEST(PlaybackToken, SignedTextIsTheRecordingPluginsFormat)
{
    // What recording URLs handed out before the codec moved to the SDK were signed over.
    Token t = sample();
    EXPECT_EQ(signedText("vtp-recording-playback-1", "rec-1", t),
              "vtp-recording-playback-1\n5:rec-1\n36:3f2c1a9e-0b7d-4c55-9f1e-2a6b8c4d0e11\nu\n1765000000");
}

TEST(PlaybackToken, HmacSha256MatchesRfc4231)
{
    // RFC 4231, test cases 1 and 2.
    auto hex = [](const std::string& bytes) {
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (const unsigned char c : bytes) {
            out += digits[c >> 4];
            out += digits[c & 15];
        }
        return out;
    };
    EXPECT_EQ(hex(hmacSha256(std::string(20, '\x0b'), "Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hex(hmacSha256("Jefe", "what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PlaybackToken, IssuedTokenChecksOnlyForItsKeyDomainResourceAndTime)
{
    const std::string key = "k-0123456789abcdef0123456789abcdef";
    const std::string text = issue(key, "vtp-streaming-live-1", "stream-1", "user-7", false, 2000);
    const auto ok = check(key, "vtp-streaming-live-1", "stream-1", text, 1999);
    ASSERT_EQ(ok.verdict, Verdict::Valid);
    EXPECT_EQ(ok.token.userId, "user-7");
    EXPECT_FALSE(ok.token.admin);
    EXPECT_EQ(ok.token.expiresAt, 2000);
    EXPECT_EQ(check(key, "vtp-streaming-live-1", "stream-1", text, 2000).verdict, Verdict::Expired);
    EXPECT_EQ(check(key, "vtp-streaming-live-1", "stream-2", text, 1999).verdict, Verdict::Invalid);
    EXPECT_EQ(check(key, "vtp-recording-playback-1", "stream-1", text, 1999).verdict, Verdict::Invalid);
    EXPECT_EQ(check(key + "x", "vtp-streaming-live-1", "stream-1", text, 1999).verdict, Verdict::Invalid);
}

TEST(PlaybackToken, TamperedTokensAreRefused)
{
    const std::string key = "secret-key";
    const std::string text = issue(key, "d", "r", "user-7", false, 2000);
    auto t = *parse(text);
    // Each field changed while the MAC stays: a longer life, an admin grant, another user.
    Token longer = t;
    longer.expiresAt = 999999;
    Token admin = t;
    admin.admin = true;
    Token other = t;
    other.userId = "user-8";
    for (const Token& forged : {longer, admin, other}) EXPECT_EQ(check(key, "d", "r", format(forged), 1000).verdict, Verdict::Invalid);
    // One bit of the MAC flipped.
    Token flipped = t;
    flipped.mac[0] = static_cast<char>(flipped.mac[0] ^ 1);
    EXPECT_EQ(check(key, "d", "r", format(flipped), 1000).verdict, Verdict::Invalid);
    // Every single character changed to another of the alphabet: never valid.
    for (size_t i = 0; i < text.size(); ++i) {
        std::string bad = text;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        EXPECT_NE(check(key, "d", "r", bad, 1000).verdict, Verdict::Valid) << i;
    }
    EXPECT_EQ(check(key, "d", "r", text, 1000).verdict, Verdict::Valid);
}

TEST(PlaybackToken, ConstantTimeEqualComparesWholeStrings)
{
    EXPECT_TRUE(constantTimeEqual("abc", "abc"));
    EXPECT_FALSE(constantTimeEqual("abc", "abd"));
    EXPECT_FALSE(constantTimeEqual("abc", "ab"));
    EXPECT_TRUE(constantTimeEqual("", ""));
}
