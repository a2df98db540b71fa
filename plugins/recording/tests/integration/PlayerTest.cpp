// A recording played in Debian's headless chromium through its signed URLs, with the npm builds
// of hls.js and dash.js (player/, playwright-core): the video's clock passes 3 s and frames are
// decoded, every request carrying only the token in its path. SQLite only: the players see HTTP,
// and the database adds nothing the PlaybackTest suites do not cover on both backends.
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
        s->expect(200, "POST", "/api/v1/recordings/" + recording + "/stop", prof);
        makeReady(*s, recording);
        viewer = s->student("ada@uni.example");
        playback = s->expect(200, "GET", "/api/v1/recordings/" + recording + "/playback", viewer);
        const auto master = s->vtpd().request("GET", str(playback, "hls"));
        ASSERT_EQ(master.status, 200) << master.body << " " << s->storageDir();
    }

    // The page plays what a viewer was given: a signed URL, nothing else (no Authorization header).
    JsonObject play(const std::string& kind, const std::string& url)
    {
        Poco::JSON::Object args;
        args.set("chromium", VTP_TEST_CHROMIUM);
        args.set("origin", "http://127.0.0.1:" + std::to_string(s->vtpd().httpPort()));
        args.set("url", url);
        args.set("kind", kind);
        args.set("until", 3);
        std::ostringstream json;
        args.stringify(json);
        std::string output;
        const int code = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_PLAYER_DIR) + "/player.mjs", json.str()}, output);
        if (code != 0) throw std::runtime_error("player.mjs " + kind + " failed (" + std::to_string(code) + "): " + output);
        const size_t at = output.find("{\"ok\"");
        if (at == std::string::npos) throw std::runtime_error("player.mjs " + kind + " printed no result: " + output);
        return Poco::JSON::Parser().parse(output.substr(at, output.find('\n', at) - at)).extract<JsonObject>();
    }

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
    // The page plays what a viewer was given: a signed URL, nothing else (no Authorization header).
    JsonObject playback;
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
