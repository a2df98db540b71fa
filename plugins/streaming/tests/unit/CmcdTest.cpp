#include "Cmcd.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace vtp::streaming;

TEST(Cmcd, ParsesTheSpecsQueryExample)
{
    // CTA-5004's example, as the query argument arrives (percent-encoded).
    const auto r = parseCmcdQuery("CMCD=br%3D3200%2Cbs%2Cd%3D4004%2Cmtp%3D25400%2Cot%3Dv%2Crtp%3D15000%2Csid%3D%226e2fb550-c457-11e9-bb97-"
                                  "0800200c9a66%22%2Ctb%3D6000");
    ASSERT_TRUE(r) << r.error;
    const auto& d = *r.value;
    EXPECT_EQ(d.br, 3200);
    EXPECT_EQ(d.bs, true);
    EXPECT_EQ(d.d, 4004);
    EXPECT_EQ(d.mtp, 25400);
    EXPECT_EQ(d.ot, CmcdObjectType::Video);
    EXPECT_EQ(d.rtp, 15000);
    EXPECT_EQ(d.sid, "6e2fb550-c457-11e9-bb97-0800200c9a66");
    EXPECT_EQ(d.tb, 6000);
    EXPECT_EQ(d.keyCount, 8u);
    EXPECT_FALSE(d.su);
    EXPECT_TRUE(d.isVideo());
    EXPECT_TRUE(d.isMedia());
    // And the same payload decoded, as the parser of the value sees it.
    const auto direct = parseCmcd("br=3200,bs,d=4004,mtp=25400,ot=v,rtp=15000,sid=\"6e2fb550-c457-11e9-bb97-0800200c9a66\",tb=6000");
    ASSERT_TRUE(direct);
    EXPECT_TRUE(sameCmcd(d, *direct.value));
}

TEST(Cmcd, ParsesTheSpecsHeaderExample)
{
    CmcdHeaders h;
    h.request = "bl=21300,dl=18500,mtp=48100,nor=\"..%2F300kbps%2Ftrack.m4v\",nrr=\"12323-48763\",su";
    h.object = "br=3200,d=4004,ot=v,tb=6000";
    h.status = "bs,rtp=12000";
    h.session = "cid=\"faec5fc2-ac30-11eabb37-0242ac130002\",pr=1.08,sf=d,sid=\"6e2fb550-c457-11e9-bb97-0800200c9a66\",st=v,"
                "com.example-myNumericKey=500";
    const auto r = parseCmcdHeaders(h);
    ASSERT_TRUE(r) << r.error;
    const auto& d = *r.value;
    EXPECT_EQ(d.bl, 21300);
    EXPECT_EQ(d.dl, 18500);
    EXPECT_EQ(d.nor, "..%2F300kbps%2Ftrack.m4v");
    EXPECT_EQ(d.nrr, "12323-48763");
    EXPECT_EQ(d.su, true);
    EXPECT_EQ(d.rtp, 12000);
    EXPECT_EQ(d.prMilli, 1080);
    EXPECT_EQ(d.sf, CmcdStreamingFormat::Dash);
    EXPECT_EQ(d.st, CmcdStreamType::Vod);
    EXPECT_EQ(d.cid, "faec5fc2-ac30-11eabb37-0242ac130002");
    ASSERT_EQ(d.custom.size(), 1u);
    EXPECT_EQ(d.custom[0].key, "com.example-myNumericKey");
    EXPECT_EQ(d.custom[0].value, "500");

    // A key repeated across two headers is refused, naming the header.
    h.status = "bs,rtp=12000,br=1";
    const auto twice = parseCmcdHeaders(h);
    EXPECT_FALSE(twice);
    EXPECT_NE(twice.error.find("br appears twice"), std::string::npos) << twice.error;
}

TEST(Cmcd, ReadsEveryValueForm)
{
    const auto r = parseCmcd("bs=?0, su=?1,\tpr=2,sid=\"a\\\"b\\\\c\",v=1,ot=av,st=l,sf=h,x-tok=abc:/d,x-dec=-1.5,x-bare,v2key=1");
    ASSERT_TRUE(r) << r.error;
    const auto& d = *r.value;
    EXPECT_EQ(d.bs, false);
    EXPECT_EQ(d.su, true);
    EXPECT_EQ(d.prMilli, 2000);
    EXPECT_EQ(d.sid, "a\"b\\c");
    EXPECT_EQ(d.ot, CmcdObjectType::Muxed);
    EXPECT_EQ(d.st, CmcdStreamType::Live);
    EXPECT_EQ(d.sf, CmcdStreamingFormat::Hls);
    ASSERT_EQ(d.custom.size(), 3u);
    EXPECT_EQ(d.custom[0].value, "abc:/d");
    EXPECT_EQ(d.custom[1].value, "-1.5");
    EXPECT_EQ(d.custom[2].value, "");
    EXPECT_EQ(d.unknownKeys, 1u); // v2key: well-formed, not one of v1's, skipped

    // What parses formats back to a payload that parses to the same.
    const std::string text = formatCmcd(d);
    const auto again = parseCmcd(text);
    ASSERT_TRUE(again) << text << ": " << again.error;
    EXPECT_TRUE(sameCmcd(d, *again.value)) << text;
}

TEST(Cmcd, NoCmcdIsNotAnError)
{
    const auto none = parseCmcdQuery("_HLS_msn=3&token=x");
    ASSERT_TRUE(none);
    EXPECT_EQ(none.value->keyCount, 0u);
    EXPECT_EQ(parseCmcd("").value->keyCount, 0u);
    EXPECT_EQ(parseCmcdHeaders({}).value->keyCount, 0u);
}

TEST(Cmcd, RefusesMalformedCmcdWithAReason)
{
    for (const char* bad : {"br=abc",
                            "br=-1",
                            "br=1.5",
                            "br=1234567890123456",
                            "bs=1",
                            "bs=true",
                            "ot=x",
                            "ot=\"v\"",
                            "sf=z",
                            "st=ll",
                            "sid=abc",
                            "sid=\"unterminated",
                            "sid=\"bad\\escape\"",
                            "sid=\"\x01\"",
                            "sid=\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
                            "nrr=\"abc\"",
                            "nrr=\"-\"",
                            "pr=1.2345",
                            "pr=-1.0",
                            "pr=1.",
                            "v=0",
                            "br=1,br=2",
                            "br=1,",
                            ",br=1",
                            "br=1,,bs",
                            "br=1 bs",
                            "=1",
                            "br=",
                            "Br=1,",
                            "1br=1",
                            "br=1;bs",
                            "x-y=\"\xff\""}) {
        const auto r = parseCmcd(bad);
        EXPECT_FALSE(r) << bad;
        EXPECT_FALSE(r.error.empty()) << bad;
    }
    EXPECT_FALSE(parseCmcdQuery("CMCD=br%3D1&CMCD=bs"));
    EXPECT_FALSE(parseCmcdQuery("CMCD=br%3"));
    EXPECT_FALSE(parseCmcd(std::string(kMaxCmcdBytes + 1, 'a')));
    std::string many;
    for (size_t i = 0; i <= kMaxCmcdKeys; ++i) many += (many.empty() ? "" : ",") + std::string("k") + std::to_string(i) + "-x";
    EXPECT_FALSE(parseCmcd(many));
}

TEST(Cmcd, BoundsCustomKeys)
{
    std::string payload = "br=1";
    for (size_t i = 0; i < kMaxCmcdCustomKeys + 3; ++i) payload += ",com.example-k" + std::to_string(i) + "=" + std::to_string(i);
    payload += ",com.example-long=\"" + std::string(kMaxCmcdCustomBytes, 'x') + "\"";
    const auto r = parseCmcd(payload);
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->custom.size(), kMaxCmcdCustomKeys);
    EXPECT_EQ(r.value->droppedCustomKeys, 4u);
    EXPECT_EQ(r.value->br, 1);
}
