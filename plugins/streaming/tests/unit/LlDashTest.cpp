#include "LlDash.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace vtp::streaming;

namespace {

LlDashSpec ladder()
{
    LlDashSpec s;
    s.availabilityStartTimeMs = 1550110416106;
    s.publishTimeMs = 1550110420106;
    s.startNumber = 100;
    s.segmentSeconds = 4;
    s.partSeconds = 0.5;
    s.dvrWindowSeconds = 7200;
    s.utcTimingUrl = "https://vtp.example/api/v1/time?iso";
    DashAdaptationSet video;
    video.representations.push_back({"720p", 2800000, "avc1.64001f", 1280, 720, 30, 0});
    video.representations.push_back({"360p", 800000, "avc1.64001e", 640, 360, 29.97, 0});
    DashAdaptationSet audio;
    audio.contentType = "audio";
    audio.mimeType = "audio/mp4";
    audio.language = "en";
    audio.representations.push_back({"audio", 128000, "mp4a.40.2", 0, 0, 0, 48000});
    s.adaptationSets = {video, audio};
    return s;
}

bool has(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST(LlDash, WritesADynamicMpdWithChunkedAvailability)
{
    const std::string mpd = renderLlDashMpd(ladder());
    EXPECT_TRUE(has(mpd, "type=\"dynamic\"")) << mpd;
    EXPECT_TRUE(has(mpd, "availabilityStartTime=\"2019-02-14T02:13:36.106Z\""));
    EXPECT_TRUE(has(mpd, "publishTime=\"2019-02-14T02:13:40.106Z\""));
    EXPECT_TRUE(has(mpd, "timeShiftBufferDepth=\"PT7200S\""));
    EXPECT_TRUE(has(mpd, "minBufferTime=\"PT0.5S\""));
    // Segment duration less part duration: a segment is fetched from its first part on.
    EXPECT_TRUE(has(mpd, "availabilityTimeOffset=\"3.5\" availabilityTimeComplete=\"false\""));
    EXPECT_TRUE(has(mpd, "duration=\"4000000\" startNumber=\"100\""));
    EXPECT_TRUE(has(mpd, "media=\"$RepresentationID$/$Number$.m4s\""));
    EXPECT_TRUE(has(mpd, "<Latency min=\"2000\" max=\"6000\" target=\"3000\" referenceId=\"0\"/>"));
    EXPECT_TRUE(has(mpd, "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"https://vtp.example/api/v1/time?iso\"/>"));
    EXPECT_TRUE(has(mpd, "contentType=\"video\""));
    EXPECT_TRUE(has(mpd, "contentType=\"audio\" mimeType=\"audio/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\" lang=\"en\""));
    EXPECT_TRUE(has(mpd, "frameRate=\"30\""));
    EXPECT_TRUE(has(mpd, "frameRate=\"2997/100\"")); // DASH frame rates are integers or ratios
    EXPECT_TRUE(has(mpd, "audioSamplingRate=\"48000\""));
    EXPECT_EQ(mpd.rfind("</MPD>\n"), mpd.size() - 7);
}

TEST(LlDash, EscapesAttributesAndRefusesWhatCannotWork)
{
    auto s = ladder();
    s.utcTimingUrl = "https://vtp.example/time?a=1&b=\"2\"";
    EXPECT_TRUE(has(renderLlDashMpd(s), "value=\"https://vtp.example/time?a=1&amp;b=&quot;2&quot;\""));

    s = ladder();
    s.utcTimingUrl.clear();
    EXPECT_THROW(renderLlDashMpd(s), std::invalid_argument);
    s = ladder();
    s.partSeconds = 5;
    EXPECT_THROW(renderLlDashMpd(s), std::invalid_argument);
    s = ladder();
    s.adaptationSets.clear();
    EXPECT_THROW(renderLlDashMpd(s), std::invalid_argument);
    s = ladder();
    s.targetLatencySeconds = 10;
    EXPECT_THROW(renderLlDashMpd(s), std::invalid_argument);
}
