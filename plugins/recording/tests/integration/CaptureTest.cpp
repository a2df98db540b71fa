// The whole chain in Debian's headless chromium, with nothing made by hand: a page records 10 s
// from the fake camera and microphone with MediaRecorder and uploads with tus-js-client's browser
// build while it records (capture.mjs); the recording is stopped, the real media worker processes
// it, and pages play it with hls.js and dash.js (player.mjs) through the signed URLs a student is
// given. For what Chromium writes by default (WebM, VP8 and Opus) and for `video/mp4` (fragmented
// MP4, VP9 and Opus); and a camera and a screen shared later as two sources of one recording.
// The WebM chain runs on SQLite and PostgreSQL; the others on SQLite (the database sees the same
// requests).
#include "BrowserTestSupport.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include <cmath>

using namespace vtp::test;

namespace {

constexpr double kRecordSeconds = 10;

class RecordingCapture : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<RecordingServer>(GetParam());
        prof = s->staff("prof@uni.example", "admin"); // only admins record rooms that are not class rooms
        viewer = s->student("ada@uni.example");
        recording =
            str(s->expect(201, "POST", "/api/v1/recordings", prof, R"({"room_id":"hall-1","title":"Lecture","visibility":"link"})"), "id");
    }

    // Records and uploads in chromium; returns the page's account of each source.
    JsonArray capture(const std::string& mimeType, const std::vector<std::string>& kinds)
    {
        Poco::JSON::Object args;
        args.set("origin", "http://127.0.0.1:" + std::to_string(s->vtpd().httpPort()));
        args.set("token", prof.token);
        args.set("recording", recording);
        args.set("mimeType", mimeType);
        args.set("seconds", kRecordSeconds);
        Poco::JSON::Array list;
        for (const auto& k : kinds) list.add(k);
        args.set("sources", list);
        args.set("screenDelayMs", 2000);
        const auto r = runBrowserScript("capture.mjs", args);
        if (!r->getValue<bool>("ok")) throw std::runtime_error("the capture page failed: " + RecordingServer::stringify(r));
        return r->getArray("sources");
    }

    // Stops the recording and waits for processing; returns the ready recording.
    JsonObject stopAndProcess()
    {
        s->expect(200, "POST", "/api/v1/recordings/" + recording + "/stop", prof);
        const auto r = settledRecording(*s, prof, recording);
        if (str(r, "state") != "ready") throw std::runtime_error("not ready: " + RecordingServer::stringify(r));
        return r;
    }

    // Every source of the page was uploaded while it recorded, completely, and stamped.
    void expectUploadedWhileRecording(const JsonArray& captured, const JsonObject& rec, const std::string& mimePrefix)
    {
        const auto sources = rec->getArray("sources");
        ASSERT_EQ(sources->size(), captured->size()) << RecordingServer::stringify(rec);
        for (unsigned i = 0; i < captured->size(); ++i) {
            const auto c = captured->getObject(i);
            SCOPED_TRACE(RecordingServer::stringify(c));
            EXPECT_EQ(str(c, "mimeType").rfind(mimePrefix, 0), 0u);
            // The camera's PATCHes were acknowledged while it recorded (a fake screen that does not
            // change makes a few kilobytes a second: it may fit in one last PATCH).
            if (str(c, "kind") == "camera") {
                EXPECT_NEAR(c->getValue<double>("recordedSeconds"), kRecordSeconds, 1.0);
                EXPECT_GT(c->getValue<int>("acknowledgedWhileRecording"), 0);
            }
            JsonObject stored;
            for (unsigned j = 0; j < sources->size(); ++j)
                if (str(sources->getObject(j), "kind") == str(c, "kind")) stored = sources->getObject(j);
            ASSERT_TRUE(stored) << RecordingServer::stringify(rec);
            EXPECT_EQ(str(stored, "state"), "complete");
            EXPECT_EQ(stored->getValue<int64_t>("length"), c->getValue<int64_t>("bytes"));
            EXPECT_EQ(stored->getValue<int64_t>("offset"), c->getValue<int64_t>("bytes"));
            EXPECT_EQ(str(stored, "media_type").rfind(mimePrefix, 0), 0u) << str(stored, "media_type");
        }
    }

    // hls.js (`kind` "hls") or dash.js ("dash"), in a page of its own, plays past 5 s of what
    // the page recorded (`recorded` seconds).
    void expectPlayed(const std::string& kind, const std::string& url, double recorded)
    {
        const auto r = playInChromium(*s, kind, url, 5);
        SCOPED_TRACE(kind + ": " + RecordingServer::stringify(r));
        ASSERT_TRUE(r->getValue<bool>("ok"));
        EXPECT_GE(r->getValue<double>("currentTime"), 5.0);
        EXPECT_GT(r->getValue<int>("decodedFrames"), 0);
        EXPECT_NEAR(r->getValue<double>("duration"), recorded, 0.5);
    }

    // The chain for one kind of file MediaRecorder writes.
    void recordUploadProcessPlay(const std::string& mimeType, const std::string& mimePrefix, const std::string& videoCodec)
    {
        const auto captured = capture(mimeType, {"camera"});
        const double recorded = captured->getObject(0)->getValue<double>("recordedSeconds");
        const auto rec = stopAndProcess();
        expectUploadedWhileRecording(captured, rec, mimePrefix);
        EXPECT_NEAR(rec->getValue<double>("duration_s"), recorded, 0.5) << RecordingServer::stringify(rec);
        const auto tracks = rec->getObject("media")->getArray("sources")->getObject(0)->getArray("tracks");
        ASSERT_EQ(tracks->size(), 2u) << RecordingServer::stringify(rec);
        for (unsigned i = 0; i < tracks->size(); ++i) {
            const auto t = tracks->getObject(i);
            EXPECT_EQ(str(t, "source_codec"), str(t, "kind") == "video" ? videoCodec : "opus") << RecordingServer::stringify(t);
            EXPECT_TRUE(t->getValue<bool>("transcoded"));
        }
        const auto playback = s->expect(200, "GET", "/api/v1/recordings/" + recording + "/playback", viewer);
        expectPlayed("hls", str(playback, "hls"), recorded);
        expectPlayed("dash", str(playback, "dash"), recorded);
        // The download is the same recording as one file.
        const auto download = s->vtpd().request("HEAD", str(playback, "download"));
        EXPECT_EQ(download.status, 200);
    }

    std::unique_ptr<RecordingServer> s;
    Account prof, viewer;
    std::string recording;
};

TEST_P(RecordingCapture, AWebmVp8OpusCaptureUploadedWhileRecordingIsProcessedAndPlayedByHlsJsAndDashJs)
{
    recordUploadProcessPlay("", "video/webm;codecs=vp8,opus", "vp8");
}

TEST_P(RecordingCapture, AnMp4Vp9OpusCaptureUploadedWhileRecordingIsProcessedAndPlayedByHlsJsAndDashJs)
{
    recordUploadProcessPlay("video/mp4", "video/mp4", "vp9");
}

// The camera from the start, the screen shared 2 s later (getDisplayMedia works in headless
// chromium: a fake screen): two uploads, two server-clock starts, one recording.
TEST_P(RecordingCapture, ACameraAndAScreenSharedLaterAreTwoAlignedSourcesOfOneRecording)
{
    const auto captured = capture("", {"camera", "screen"});
    const auto rec = stopAndProcess();
    expectUploadedWhileRecording(captured, rec, "video/webm");
    // Both were processed while they were captured (one live job took the screen in), not whole
    // after stop.
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/jobs?kind=recording.live", prof)->getArray("jobs")->size(), 1u);
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/jobs?kind=recording.process", prof)->getArray("jobs")->size(), 0u);

    // The screen's upload began about 2 s after the camera's on the server's clock.
    int64_t cameraOffset = -1, screenOffset = -1;
    const auto sources = rec->getArray("sources");
    for (unsigned i = 0; i < sources->size(); ++i)
        (str(sources->getObject(i), "kind") == "camera" ? cameraOffset : screenOffset) =
            sources->getObject(i)->getValue<int64_t>("offset_ms");
    const int64_t apart = screenOffset - cameraOffset;
    EXPECT_GE(apart, 1500) << RecordingServer::stringify(rec);
    EXPECT_LT(apart, static_cast<int64_t>(kRecordSeconds * 1000)) << RecordingServer::stringify(rec);

    // Both processed to their own track sets, the camera (primary) first, the screen placed at
    // its offset; both listed in media.sources and in the MPD.
    const auto media = rec->getObject("media")->getArray("sources");
    ASSERT_EQ(media->size(), 2u) << RecordingServer::stringify(rec);
    const auto camera = media->getObject(0), screen = media->getObject(1);
    EXPECT_EQ(camera->getValue<int64_t>("offset_ms"), 0);
    EXPECT_EQ(screen->getValue<int64_t>("offset_ms"), apart);
    EXPECT_EQ(str(camera, "master"), "master.m3u8");
    EXPECT_EQ(str(screen, "master"), "source-2.m3u8");
    EXPECT_EQ(camera->getArray("tracks")->size(), 2u);
    const auto screenTracks = screen->getArray("tracks");
    ASSERT_EQ(screenTracks->size(), 1u) << RecordingServer::stringify(screen); // no audio shared
    EXPECT_EQ(str(screenTracks->getObject(0), "kind"), "video");
    EXPECT_EQ(str(screenTracks->getObject(0), "source_codec"), "vp8");
    // Its own picture, within what the page asked getDisplayMedia for (640x360).
    const auto screenVideo = screenTracks->getObject(0);
    EXPECT_TRUE(screenVideo->getValue<int>("width") > 0 && screenVideo->getValue<int>("width") <= 640 &&
                screenVideo->getValue<int>("height") > 0 && screenVideo->getValue<int>("height") <= 360)
        << RecordingServer::stringify(screenVideo);
    // Both were stopped together: the screen, placed at its offset, ends within the recording.
    // (Not necessarily at its end: a loaded machine's MediaRecorder drops the last video frames.)
    EXPECT_LE(static_cast<double>(apart) / 1000.0 + screenTracks->getObject(0)->getValue<double>("duration_s"),
              rec->getValue<double>("duration_s") + 0.1)
        << RecordingServer::stringify(rec);

    // The MPD: the screen's segment timeline starts at its offset, the camera's at zero.
    const std::string dir = s->storageDir() + "/" + recording + "/media/";
    Poco::XML::DOMParser parser;
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(readFile(dir + "manifest.mpd"));
    Poco::AutoPtr<Poco::XML::NodeList> reps = doc->getElementsByTagName("Representation");
    ASSERT_EQ(reps->length(), 3u);
    std::map<std::string, double> startOf; // the track's playlist name -> the first segment's start in seconds
    for (unsigned long i = 0; i < reps->length(); ++i) {
        auto* rep = static_cast<Poco::XML::Element*>(reps->item(i));
        auto* tmpl = static_cast<Poco::XML::Element*>(rep->getElementsByTagName("SegmentTemplate")->item(0));
        if (!tmpl)
            tmpl = static_cast<Poco::XML::Element*>(
                static_cast<Poco::XML::Element*>(rep->parentNode())->getElementsByTagName("SegmentTemplate")->item(0));
        ASSERT_TRUE(tmpl);
        const double timescale = std::stod(tmpl->getAttribute("timescale").empty() ? "1" : tmpl->getAttribute("timescale"));
        auto* first = static_cast<Poco::XML::Element*>(tmpl->getElementsByTagName("S")->item(0));
        ASSERT_TRUE(first);
        startOf["media_" + rep->getAttribute("id") + ".m3u8"] = std::stod(first->getAttribute("t")) / timescale;
    }
    const double screenStart = startOf[str(screenTracks->getObject(0), "playlist")];
    EXPECT_NEAR(screenStart, static_cast<double>(apart) / 1000.0, 0.5) << readFile(dir + "manifest.mpd");
    const auto cameraTracks = camera->getArray("tracks");
    for (unsigned i = 0; i < cameraTracks->size(); ++i)
        EXPECT_NEAR(startOf[str(cameraTracks->getObject(i), "playlist")], 0.0, 0.5) << readFile(dir + "manifest.mpd");

    // Each track its own adaptation set, the camera's marked as the main ones, the screen's as
    // alternate.
    Poco::AutoPtr<Poco::XML::NodeList> sets = doc->getElementsByTagName("AdaptationSet");
    ASSERT_EQ(sets->length(), 3u);
    int mains = 0, alternates = 0;
    for (unsigned long i = 0; i < sets->length(); ++i) {
        auto* role =
            static_cast<Poco::XML::Element*>(static_cast<Poco::XML::Element*>(sets->item(i))->getElementsByTagName("Role")->item(0));
        ASSERT_TRUE(role) << readFile(dir + "manifest.mpd");
        EXPECT_EQ(role->getAttribute("schemeIdUri"), "urn:mpeg:dash:role:2011");
        (role->getAttribute("value") == "main" ? mains : alternates) += 1;
    }
    EXPECT_EQ(mains, 2);
    EXPECT_EQ(alternates, 1);

    // The camera plays as the recording (master.m3u8; with dash.js the MPD's main video), the
    // screen as its own master.
    const auto playback = s->expect(200, "GET", "/api/v1/recordings/" + recording + "/playback", viewer);
    expectPlayed("hls", str(playback, "hls"), captured->getObject(0)->getValue<double>("recordedSeconds"));
    const auto dash = playInChromium(*s, "dash", str(playback, "dash"), 3);
    ASSERT_TRUE(dash->getValue<bool>("ok")) << RecordingServer::stringify(dash);
    int cameraHeight = 0;
    for (unsigned i = 0; i < cameraTracks->size(); ++i)
        if (str(cameraTracks->getObject(i), "kind") == "video") cameraHeight = cameraTracks->getObject(i)->getValue<int>("height");
    ASSERT_NE(cameraHeight, screenVideo->getValue<int>("height")) << "the camera and the screen cannot be told apart by height";
    EXPECT_EQ(dash->getValue<int>("videoHeight"), cameraHeight) << RecordingServer::stringify(dash);
    std::string screenUrl = str(playback, "hls");
    screenUrl.replace(screenUrl.rfind("master.m3u8"), std::string("master.m3u8").size(), "source-2.m3u8");
    const auto played = playInChromium(*s, "hls", screenUrl, 3);
    EXPECT_TRUE(played->getValue<bool>("ok")) << RecordingServer::stringify(played);
    EXPECT_GT(played->getValue<int>("decodedFrames"), 0) << RecordingServer::stringify(played);
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordingCapture, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
