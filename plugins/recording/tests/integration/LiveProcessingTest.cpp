// Live processing end to end through the real vtpd and its media worker, on SQLite and
// PostgreSQL: a live capture (deferred length) uploaded in chunks is segmented while it comes in,
// and is ready with its whole duration once the last chunk is in and the recording stopped; it
// survives a kill -9 of vtpd; a live worker stopped at its limit or cancelled fails the recording
// with a reason while vtpd serves on. Media made here with the ffmpeg command.
#include "RecordingTestSupport.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <sstream>

using namespace vtp::test;

namespace {

void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
}

// The seconds an HLS media playlist's segments add up to.
double playlistSeconds(const std::string& playlist)
{
    std::istringstream in(playlist);
    std::string line;
    double total = 0;
    while (std::getline(in, line))
        if (line.rfind("#EXTINF:", 0) == 0) total += std::atof(line.c_str() + 8);
    return total;
}

class LiveProcessing : public ::testing::TestWithParam<Backend> {
protected:
    void start(const std::string& toml = "")
    {
        s = std::make_unique<RecordingServer>(GetParam(), toml);
        admin = s->staff("admin@uni.example", "admin");
    }

    std::string newRecording()
    {
        const auto rec =
            s->expect(201, "POST", "/api/v1/recordings", admin, R"({"room_id":"room-)" + std::to_string(++rooms) + R"(","title":"t"})");
        return str(rec, "id");
    }

    // Sends bytes [from, to) of `source` as one PATCH; the last one names the length.
    void patch(const std::string& url, const std::string& source, size_t from, size_t to)
    {
        std::map<std::string, std::string> h{{"Upload-Offset", std::to_string(from)}};
        if (to == source.size()) h["Upload-Length"] = std::to_string(source.size());
        const auto r = s->tus("PATCH", url, admin, h, source.substr(from, to - from));
        if (r.status != 204) throw std::runtime_error("PATCH answered " + std::to_string(r.status) + ": " + r.body);
    }

    std::string mediaDir(const std::string& id) { return s->storageDir() + "/" + id + "/media"; }
    std::string media(const std::string& id, const std::string& file) { return readFile(mediaDir(id) + "/" + file); }
    bool hasMedia(const std::string& id, const std::string& file) { return std::filesystem::exists(mediaDir(id) + "/" + file); }

    JsonObject settled(const std::string& id)
    {
        JsonObject last;
        const bool done = pollUntil(
            [&] {
                last = s->expect(200, "GET", "/api/v1/recordings/" + id, admin);
                return str(last, "state") == "ready" || str(last, "state") == "failed";
            },
            std::chrono::seconds(180), std::chrono::milliseconds(100));
        if (!done) throw std::runtime_error("not settled: " + RecordingServer::stringify(last));
        return last;
    }

    // Uploads `source` in `chunks` PATCHes; half-way, segments and a media playlist must already be
    // in media/ while the upload is unfinished. Then stops the recording and expects it ready.
    JsonObject uploadLive(const std::string& source, int chunks)
    {
        const std::string id = newRecording();
        const std::string url = s->createUpload(id, admin, std::nullopt);
        const size_t step = source.size() / static_cast<size_t>(chunks) + 1;
        size_t at = 0;
        for (int i = 0; at < source.size(); ++i) {
            const size_t to = std::min(source.size(), at + step);
            patch(url, source, at, to);
            at = to;
            if (i == chunks * 3 / 4) {
                EXPECT_TRUE(pollUntil([&] { return hasMedia(id, "seg-0-00001.m4s") && hasMedia(id, "media_0.m3u8"); },
                                      std::chrono::seconds(60), std::chrono::milliseconds(50)))
                    << "no segment while the capture was uploaded";
                const std::string playlist = media(id, "media_0.m3u8");
                EXPECT_NE(playlist.find("#EXT-X-PLAYLIST-TYPE:EVENT"), std::string::npos) << playlist;
                EXPECT_EQ(playlist.find("#EXT-X-ENDLIST"), std::string::npos) << playlist;
                EXPECT_NE(playlist.find("seg-0-00001.m4s"), std::string::npos) << playlist;
                EXPECT_FALSE(hasMedia(id, "master.m3u8")); // only once the capture is whole
                EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/recordings/" + id, admin), "state"), "recording");
            }
        }
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
        auto r = settled(id);
        EXPECT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
        return r;
    }

    // The whole output: master, EVENT media playlists with their end, a static MPD, segments that
    // add up to the duration, poster, thumbnails and the download; no scratch left.
    void expectComplete(const std::string& id, double seconds)
    {
        const std::string master = media(id, "master.m3u8");
        EXPECT_NE(master.find("CODECS=\"avc1."), std::string::npos) << master;
        EXPECT_NE(master.find("mp4a.40.2"), std::string::npos) << master;
        for (const char* name : {"media_0.m3u8", "media_1.m3u8"}) {
            const std::string playlist = media(id, name);
            EXPECT_NE(playlist.find("#EXT-X-ENDLIST"), std::string::npos) << playlist;
            EXPECT_NE(playlist.find("#EXT-X-PLAYLIST-TYPE:EVENT"), std::string::npos) << playlist;
            EXPECT_NEAR(playlistSeconds(playlist), seconds, 0.5) << name << ": " << playlist;
            std::istringstream in(playlist);
            std::string line;
            while (std::getline(in, line)) {
                if (!line.empty() && line[0] != '#') {
                    EXPECT_TRUE(hasMedia(id, line)) << line; // every segment named is there
                }
            }
        }
        const std::string mpd = media(id, "manifest.mpd");
        Poco::XML::DOMParser parser;
        Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(mpd);
        EXPECT_EQ(doc->documentElement()->getAttribute("type"), "static") << mpd;
        EXPECT_FALSE(doc->documentElement()->getAttribute("mediaPresentationDuration").empty()) << mpd;
        EXPECT_EQ(media(id, "poster.jpg").substr(0, 2), "\xff\xd8");
        EXPECT_EQ(media(id, "thumbnails.vtt").rfind("WEBVTT", 0), 0u);
        EXPECT_NE(media(id, "recording.mp4").find("moov"), std::string::npos);
        EXPECT_FALSE(std::filesystem::exists(s->storageDir() + "/" + id + "/.live"));
        for (const auto& e : std::filesystem::directory_iterator(mediaDir(id)))
            EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
    }

    // Half a 12 s capture uploaded and its first segment out, vtpd stopped with `signal` and
    // started again; the client resumes, the recording ends ready and whole. How long the stop took.
    std::chrono::steady_clock::duration restartWhileALiveWorkerRuns(int signal)
    {
        start();
        const std::string source = fmp4Capture(12);
        const std::string id = newRecording();
        const std::string url = s->createUpload(id, admin, std::nullopt);
        const size_t half = source.size() / 2;
        patch(url, source, 0, half);
        EXPECT_TRUE(pollUntil([&] { return hasMedia(id, "seg-0-00001.m4s"); }, std::chrono::seconds(60), std::chrono::milliseconds(50)));

        const auto before = std::chrono::steady_clock::now();
        s->vtpd().stop(signal);
        const auto took = std::chrono::steady_clock::now() - before;
        if (!s->vtpd().start()) throw std::runtime_error("vtpd did not start again: " + s->vtpd().logs());
        s->relogin(admin);
        const auto head = s->tus("HEAD", url, admin);
        EXPECT_EQ(head.status, 200) << head.body;
        patch(url, source, std::stoull(headerOf(head, "Upload-Offset")), source.size());
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
        const auto r = settled(id);
        EXPECT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r) << s->vtpd().logs();
        EXPECT_NEAR(r->getValue<double>("duration_s"), 12.0, 0.5);
        expectComplete(id, 12.0);
        return took;
    }

    // `seconds` of 320x240 H.264/AAC as a fragmented MP4 (moov first, a fragment per keyframe, a
    // keyframe every 2 s), as a capture of H.264 arrives.
    std::string fmp4Capture(int seconds)
    {
        const std::string file = tmp.path() + "/capture-" + std::to_string(seconds) + ".mp4";
        if (!std::filesystem::exists(file))
            ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t " +
                   std::to_string(seconds) +
                   " -c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -shortest -movflags "
                   "frag_keyframe+empty_moov+default_base_moof " +
                   file);
        return readFile(file);
    }

    // How many jobs of `kind` (and `state`, if given) the jobs API lists.
    size_t jobs(const std::string& kind, const std::string& state = "")
    {
        return s->expect(200, "GET", "/api/v1/jobs?kind=" + kind + (state.empty() ? "" : "&state=" + state), admin)
            ->getArray("jobs")
            ->size();
    }

    // The live job of the recording's capture, as the jobs API shows it.
    std::string liveJob()
    {
        std::string id;
        pollUntil(
            [&] {
                const auto jobs = s->expect(200, "GET", "/api/v1/jobs?kind=recording.live", admin)->getArray("jobs");
                if (jobs->size() > 0) id = str(jobs->getObject(0), "id");
                return !id.empty();
            },
            std::chrono::seconds(20), std::chrono::milliseconds(50));
        return id;
    }

    std::unique_ptr<RecordingServer> s;
    Account admin;
    TempDir tmp{"vtp-live"};
    int rooms = 0;
};

TEST_P(LiveProcessing, AFragmentedMp4CaptureIsSegmentedAsItComesAndReadyAtStop)
{
    start();
    // 16 s of H.264/AAC as a fragmented MP4 (moov first, a fragment per keyframe): remuxed.
    const auto r = uploadLive(fmp4Capture(16), 16);
    const std::string id = str(r, "id");
    EXPECT_NEAR(r->getValue<double>("duration_s"), 16.0, 0.5);
    const auto tracks = r->getObject("media")->getArray("sources")->getObject(0)->getArray("tracks");
    ASSERT_EQ(tracks->size(), 2u);
    for (unsigned i = 0; i < 2; ++i) EXPECT_FALSE(tracks->getObject(i)->getValue<bool>("transcoded"));
    expectComplete(id, 16.0);
    EXPECT_TRUE(s->waitForEvent("recording.ready", [&](const JsonObject& p) { return str(p, "id") == id; }));
    // Playback serves it like any other.
    const auto playback = s->expect(200, "GET", "/api/v1/recordings/" + id + "/playback", admin);
    const std::string hls = str(playback, "hls");
    EXPECT_EQ(s->vtpd().request("GET", hls, "", "", {}).status, 200);
    EXPECT_EQ(s->vtpd().request("GET", hls.substr(0, hls.rfind('/') + 1) + "seg-0-00001.m4s", "", "", {}).status, 200);
}

TEST_P(LiveProcessing, AMediaRecorderWebmCaptureIsTranscodedAsItComes)
{
    start();
    // As MediaRecorder writes it: VP8/Opus WebM, no cues or duration, one keyframe, timestamps not
    // at zero, the picture size changing halfway.
    const std::string a = tmp.path() + "/a.webm", b = tmp.path() + "/b.webm", file = tmp.path() + "/capture.webm";
    ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 5 -c:v libvpx -deadline "
           "realtime -g 1000 -c:a libopus -shortest -f webm " +
           a);
    ffmpeg("-f lavfi -i testsrc2=size=480x360:rate=30 -f lavfi -i sine=frequency=660:sample_rate=48000 -t 5 -c:v libvpx -deadline "
           "realtime -g 1000 -c:a libopus -shortest -f webm " +
           b);
    writeFile(tmp.path() + "/list.txt", "file '" + a + "'\nfile '" + b + "'\n");
    ffmpeg("-f concat -safe 0 -i " + tmp.path() + "/list.txt -c copy -output_ts_offset 2.5 -live 1 -f webm " + file);
    const auto r = uploadLive(readFile(file), 10);
    const std::string id = str(r, "id");
    EXPECT_NEAR(r->getValue<double>("duration_s"), 10.0, 0.5);
    const auto tracks = r->getObject("media")->getArray("sources")->getObject(0)->getArray("tracks");
    ASSERT_EQ(tracks->size(), 2u);
    for (unsigned i = 0; i < 2; ++i) EXPECT_TRUE(tracks->getObject(i)->getValue<bool>("transcoded"));
    expectComplete(id, 10.0);
}

TEST_P(LiveProcessing, AKill9OfVtpdWhileALiveWorkerRunsStillEndsReadyAndComplete)
{
    restartWhileALiveWorkerRuns(SIGKILL);
}

// A graceful stop does not wait for the class to end: the live job is interrupted, queued again
// without counting an attempt, and goes on after the restart.
TEST_P(LiveProcessing, AGracefulStopInterruptsTheLiveJobWhichGoesOnAfterTheRestartUncounted)
{
    const auto took = restartWhileALiveWorkerRuns(SIGTERM);
    EXPECT_LT(took, std::chrono::seconds(15)) << "the stop waited for the capture";
    const auto jobs = s->expect(200, "GET", "/api/v1/jobs?kind=recording.live", admin)->getArray("jobs");
    ASSERT_EQ(jobs->size(), 1u);
    EXPECT_EQ(str(jobs->getObject(0), "state"), "succeeded");
    EXPECT_EQ(jobs->getObject(0)->getValue<int>("attempts"), 1) << RecordingServer::stringify(jobs->getObject(0));
}

TEST_P(LiveProcessing, ALiveWorkerStoppedAtItsLimitFailsTheRecordingWithAReason)
{
    start("processing.timeout_seconds = 2\n");
    const std::string id = newRecording();
    const std::string url = s->createUpload(id, admin, std::nullopt);
    const std::string job = liveJob();
    ASSERT_FALSE(job.empty());
    // The worker waits for bytes that do not come and is killed at 2 s.
    ASSERT_TRUE(pollUntil([&] { return str(s->expect(200, "GET", "/api/v1/jobs/" + job, admin), "state") == "succeeded"; },
                          std::chrono::seconds(30), std::chrono::milliseconds(100)));
    const auto r = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}, {"Upload-Length", "5"}}, "bytes");
    ASSERT_EQ(r.status, 204) << r.body;
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    const auto rec = settled(id);
    EXPECT_EQ(str(rec, "state"), "failed");
    EXPECT_NE(str(rec, "failure").find("took longer than the 2 s allowed"), std::string::npos) << str(rec, "failure");
    EXPECT_EQ(s->call("GET", "/api/v1/recordings?limit=1", admin).status, 200);
}

TEST_P(LiveProcessing, ACancelledLiveWorkerFailsTheRecordingWithAReason)
{
    start();
    const std::string id = newRecording();
    const std::string url = s->createUpload(id, admin, std::nullopt);
    const std::string job = liveJob();
    ASSERT_FALSE(job.empty());
    ASSERT_TRUE(pollUntil([&] { return str(s->expect(200, "GET", "/api/v1/jobs/" + job, admin), "state") == "running"; },
                          std::chrono::seconds(30), std::chrono::milliseconds(50)));
    s->expect(202, "POST", "/api/v1/jobs/" + job + "/cancel", admin);
    ASSERT_TRUE(pollUntil(
        [&] {
            const std::string state = str(s->expect(200, "GET", "/api/v1/jobs/" + job, admin), "state");
            return state != "running";
        },
        std::chrono::seconds(30), std::chrono::milliseconds(50)));
    const auto r = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}, {"Upload-Length", "5"}}, "bytes");
    ASSERT_EQ(r.status, 204) << r.body;
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    const auto rec = settled(id);
    EXPECT_EQ(str(rec, "state"), "failed");
    EXPECT_NE(str(rec, "failure").find("cancelled"), std::string::npos) << str(rec, "failure");
    EXPECT_EQ(s->call("GET", "/api/v1/recordings?limit=1", admin).status, 200);
}

// A camera from the start and a screen shared a few seconds later, both captured live: the
// screen joins the live processing (the worker starts again with both), and at stop the recording
// is ready from the live run alone, both sources aligned, no whole-file processing.
TEST_P(LiveProcessing, ACameraAndAScreenSharedLaterAreBothProcessedAsTheyCome)
{
    start();
    const std::string screenFile = tmp.path() + "/screen.mp4";
    ffmpeg("-f lavfi -i testsrc2=size=640x360:rate=10 -t 12 -c:v libx264 -preset ultrafast -g 20 -pix_fmt yuv420p "
           "-movflags frag_keyframe+empty_moov+default_base_moof " +
           screenFile);
    const std::string camera = fmp4Capture(16), screen = readFile(screenFile);
    const std::string id = newRecording();
    const std::string camUrl = s->createUpload(id, admin, std::nullopt);
    patch(camUrl, camera, 0, camera.size() / 2);
    ASSERT_TRUE(pollUntil([&] { return hasMedia(id, "seg-0-00001.m4s"); }, std::chrono::seconds(60), std::chrono::milliseconds(50)));
    // The screen is shared: its upload joins the camera's live job.
    const std::string screenUrl = s->createUpload(id, admin, std::nullopt, "source c2NyZWVu");
    patch(screenUrl, screen, 0, screen.size() / 2);
    patch(camUrl, camera, camera.size() / 2, camera.size() * 3 / 4);
    // The screen's first segment is published while both are still being uploaded.
    ASSERT_TRUE(pollUntil([&] { return hasMedia(id, "seg-2-00001.m4s"); }, std::chrono::seconds(60), std::chrono::milliseconds(50)))
        << s->vtpd().logs();
    EXPECT_EQ(jobs("recording.live"), 1u);
    patch(screenUrl, screen, screen.size() / 2, screen.size());
    patch(camUrl, camera, camera.size() * 3 / 4, camera.size());
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    const auto r = settled(id);
    ASSERT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r) << s->vtpd().logs();
    EXPECT_EQ(jobs("recording.process"), 0u) << "processed whole instead of live";
    const auto sources = r->getObject("media")->getArray("sources");
    ASSERT_EQ(sources->size(), 2u) << RecordingServer::stringify(r);
    EXPECT_EQ(sources->getObject(0)->getValue<int64_t>("offset_ms"), 0);
    EXPECT_GT(sources->getObject(1)->getValue<int64_t>("offset_ms"), 0); // the screen came later on the server's clock
    EXPECT_EQ(str(sources->getObject(1), "master"), "source-2.m3u8");
    expectComplete(id, 16.0);
    const std::string screenPlaylist = media(id, "media_2.m3u8");
    EXPECT_NE(screenPlaylist.find("#EXT-X-ENDLIST"), std::string::npos) << screenPlaylist;
    EXPECT_NEAR(playlistSeconds(screenPlaylist), 12.0, 0.5) << screenPlaylist;
    EXPECT_TRUE(hasMedia(id, "source-2.m3u8"));
}

// A capture that ended while the class goes on (the browser reloaded) and a new one: the new live
// job takes both in, so that the recording is still ready from a live run at stop.
TEST_P(LiveProcessing, ACaptureStartedAfterAnEarlierOneEndedIsProcessedLiveWithIt)
{
    start();
    const std::string source = fmp4Capture(8);
    const std::string id = newRecording();
    const std::string first = s->createUpload(id, admin, std::nullopt);
    patch(first, source, 0, source.size());
    // Its live job ends with it.
    ASSERT_TRUE(pollUntil(
        [&] {
            const auto jobs = s->expect(200, "GET", "/api/v1/jobs?kind=recording.live&state=succeeded", admin)->getArray("jobs");
            return jobs->size() == 1;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(50)));
    const std::string second = s->createUpload(id, admin, std::nullopt, "source c2NyZWVu");
    patch(second, source, 0, source.size());
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    const auto r = settled(id);
    ASSERT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
    EXPECT_EQ(jobs("recording.live"), 2u);
    EXPECT_EQ(jobs("recording.process"), 0u) << "processed whole instead of live";
    EXPECT_EQ(r->getObject("media")->getArray("sources")->size(), 2u) << RecordingServer::stringify(r);
}

// A camera and a screen whose uploads are created at the same moment (a page starting both):
// one live job takes both.
TEST_P(LiveProcessing, TwoCapturesCreatedAtOnceShareOneLiveJob)
{
    start();
    const std::string source = fmp4Capture(8);
    const std::string id = newRecording();
    auto camera = std::async(std::launch::async, [&] { return s->createUpload(id, admin, std::nullopt); });
    auto screen = std::async(std::launch::async, [&] { return s->createUpload(id, admin, std::nullopt, "source c2NyZWVu"); });
    const std::string cameraUrl = camera.get(), screenUrl = screen.get();
    patch(cameraUrl, source, 0, source.size());
    patch(screenUrl, source, 0, source.size());
    s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    const auto r = settled(id);
    ASSERT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
    EXPECT_EQ(jobs("recording.live"), 1u);
    EXPECT_EQ(jobs("recording.process"), 0u) << "processed whole instead of live";
    EXPECT_EQ(r->getObject("media")->getArray("sources")->size(), 2u) << RecordingServer::stringify(r);
}

// Live classes are long-running jobs: with one job worker, three classes captured at once are
// all processed as they come, and a stopped recording is processed meanwhile.
TEST_P(LiveProcessing, MoreLiveCapturesThanJobWorkersAllRunAndLeaveTheWorkerFree)
{
    start("\n[jobs]\nworkers = 1\n");
    const std::string source = fmp4Capture(16);
    const size_t half = source.size() * 3 / 4;             // past the first 4 s segment's end
    std::vector<std::pair<std::string, std::string>> live; // recording id, upload URL
    for (int i = 0; i < 3; ++i) {
        const std::string id = newRecording();
        live.emplace_back(id, s->createUpload(id, admin, std::nullopt));
        patch(live.back().second, source, 0, half);
    }
    // Each class's first segments are published while its capture goes on: all three run.
    for (const auto& [id, url] : live)
        EXPECT_TRUE(pollUntil([&] { return hasMedia(id, "seg-0-00001.m4s"); }, std::chrono::seconds(60), std::chrono::milliseconds(50)))
            << id;
    EXPECT_EQ(jobs("recording.live", "running"), 3u);
    // A finished file uploaded meanwhile is processed by the one worker, the classes still going on.
    const std::string whole = newRecording();
    const std::string url = s->createUpload(whole, admin, source.size());
    ASSERT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, source).status, 204);
    s->expect(200, "POST", "/api/v1/recordings/" + whole + "/stop", admin);
    EXPECT_EQ(str(settled(whole), "state"), "ready");
    for (const auto& [id, u] : live) EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/recordings/" + id, admin), "state"), "recording");
    // The classes end: each ready, whole.
    for (const auto& [id, u] : live) {
        patch(u, source, half, source.size());
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
    }
    for (const auto& [id, u] : live) {
        const auto r = settled(id);
        EXPECT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
        expectComplete(id, 16.0);
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveProcessing, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
