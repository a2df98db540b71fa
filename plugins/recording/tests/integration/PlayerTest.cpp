// A recording played in Debian's headless chromium through its signed URLs, with the npm builds
// of hls.js and dash.js (player/, playwright-core): the video's clock passes 3 s and frames are
// decoded, every request carrying only the token in its path. The media went the real way: an
// 8-second H.264/AAC MP4 made by the ffmpeg command, uploaded with tus, the recording stopped
// and processed by the media worker. SQLite only: the players see HTTP, and the database adds
// nothing the PlaybackTest and RecordingCapture suites do not cover on both backends.
#include "BrowserTestSupport.hpp"
#include "PlaybackTestSupport.hpp"

using namespace vtp::test;

namespace {

class RecordingPlayer : public ::testing::Test {
protected:
    void SetUp() override
    {
        s = std::make_unique<RecordingServer>(Backend::SQLite);
        prof = s->staff("prof@uni.example", "admin"); // only admins record rooms that are not class rooms
        recording =
            str(s->expect(201, "POST", "/api/v1/recordings", prof, R"({"room_id":"hall-1","title":"Lecture","visibility":"link"})"), "id");
        const std::string source = readFile(testMedia() + "/recording.mp4");
        const std::string upload = s->createUpload(recording, prof, source.size(), "source Y2FtZXJh,filetype dmlkZW8vbXA0");
        ASSERT_EQ(s->tus("PATCH", upload, prof, {{"Upload-Offset", "0"}}, source).status, 204);
        s->expect(200, "POST", "/api/v1/recordings/" + recording + "/stop", prof);
        const auto processed = settledRecording(*s, prof, recording);
        ASSERT_EQ(str(processed, "state"), "ready") << RecordingServer::stringify(processed);
        viewer = s->student("ada@uni.example");
        playback = s->expect(200, "GET", "/api/v1/recordings/" + recording + "/playback", viewer);
        const auto master = s->vtpd().request("GET", str(playback, "hls"));
        ASSERT_EQ(master.status, 200) << master.body << " " << s->storageDir();
    }

    // The page plays what a viewer was given: a signed URL, nothing else (no Authorization header).
    JsonObject play(const std::string& kind, const std::string& url) { return playInChromium(*s, kind, url, 3); }

    static void expectPlayed(const JsonObject& r)
    {
        ASSERT_TRUE(r->getValue<bool>("ok")) << RecordingServer::stringify(r);
        EXPECT_GE(r->getValue<double>("currentTime"), 3.0) << RecordingServer::stringify(r);
        EXPECT_GT(r->getValue<int>("decodedFrames"), 0) << RecordingServer::stringify(r);
        EXPECT_NEAR(r->getValue<double>("duration"), 8.0, 0.5) << RecordingServer::stringify(r);
    }

    std::unique_ptr<RecordingServer> s;
    Account prof, viewer;
    std::string recording;
    JsonObject playback; // what the viewer was given: {hls, dash, ...}
};

TEST_F(RecordingPlayer, HlsJsPlaysTheSignedHlsUrl)
{
    expectPlayed(play("hls", str(playback, "hls")));
}

TEST_F(RecordingPlayer, DashJsPlaysTheSignedDashUrl)
{
    expectPlayed(play("dash", str(playback, "dash")));
}

} // namespace
