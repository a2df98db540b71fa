// Processing end to end through the real vtpd and its media worker, on SQLite and PostgreSQL:
// media made here with the ffmpeg command, uploaded with tus, the recording stopped; it must end
// `ready` with CMAF HLS and DASH, a poster, thumbnails and the download, or `failed` with a
// reason while vtpd serves on.
#include "RecordingTestSupport.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

using namespace vtp::test;

namespace {

// Runs the ffmpeg command (test media only: the product never calls it).
void ffmpeg(const std::string& args)
{
    const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
}

// The names of an ISO BMFF file's top-level boxes, in order.
std::vector<std::string> topBoxes(const std::string& b)
{
    std::vector<std::string> names;
    size_t at = 0;
    while (at + 8 <= b.size()) {
        uint64_t size = (uint64_t(uint8_t(b[at])) << 24) | (uint64_t(uint8_t(b[at + 1])) << 16) | (uint64_t(uint8_t(b[at + 2])) << 8) |
                        uint64_t(uint8_t(b[at + 3]));
        names.push_back(b.substr(at + 4, 4));
        if (size == 1 && at + 16 <= b.size()) {
            size = 0;
            for (int i = 0; i < 8; ++i) size = (size << 8) | uint8_t(b[at + 8 + static_cast<size_t>(i)]);
        } else if (size == 0) {
            break;
        }
        if (size < 8) break;
        at += size;
    }
    return names;
}

bool contains(const std::vector<std::string>& v, const std::string& x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

// Address space for the memory-limit test (MiB): room for the worker's libraries and a small
// file, not for a 1080p transcode with the slowest preset.
constexpr int kTightMemoryMb = 400;

class RecordingProcessing : public ::testing::TestWithParam<Backend> {
protected:
    void start(const std::string& toml = "")
    {
        s = std::make_unique<RecordingServer>(GetParam(), toml);
        admin = s->staff("admin@uni.example", "admin");
    }

    // A recording of a room with one source holding `bytes`, stopped; returns its id.
    std::string record(const std::string& bytes, const std::string& metadata = "source Y2FtZXJh")
    {
        const auto rec =
            s->expect(201, "POST", "/api/v1/recordings", admin, R"({"room_id":"room-)" + std::to_string(++rooms) + R"(","title":"t"})");
        const std::string id = str(rec, "id");
        const std::string url = s->createUpload(id, admin, bytes.size(), metadata);
        if (!bytes.empty()) {
            const auto r = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, bytes);
            if (r.status != 204) throw std::runtime_error("PATCH answered " + std::to_string(r.status) + ": " + r.body);
        }
        s->expect(200, "POST", "/api/v1/recordings/" + id + "/stop", admin);
        return id;
    }

    // The recording once processing has ended (ready or failed).
    JsonObject settled(const std::string& id)
    {
        JsonObject last;
        const bool done = pollUntil(
            [&] {
                last = s->expect(200, "GET", "/api/v1/recordings/" + id, admin);
                return str(last, "state") != "processing";
            },
            std::chrono::seconds(180), std::chrono::milliseconds(100));
        if (!done) throw std::runtime_error("still processing: " + RecordingServer::stringify(last));
        return last;
    }

    std::string media(const std::string& id, const std::string& file) { return readFile(s->storageDir() + "/" + id + "/media/" + file); }

    void expectFailed(const std::string& id, const std::string& expectedReason, const std::string& what)
    {
        const auto r = settled(id);
        EXPECT_EQ(str(r, "state"), "failed") << what << ": " << RecordingServer::stringify(r);
        const std::string failure = r->isNull("failure") ? "" : str(r, "failure");
        EXPECT_NE(failure.find(expectedReason), std::string::npos) << what << ": " << failure;
        EXPECT_TRUE(s->waitForEvent("recording.failed", [&](const JsonObject& p) {
            return str(p, "id") == id && !str(p, "failure").empty();
        })) << what;
        // vtpd serves on.
        EXPECT_EQ(s->call("GET", "/api/v1/recordings?limit=1", admin).status, 200) << what;
    }

    std::unique_ptr<RecordingServer> s;
    Account admin;
    TempDir tmp{"vtp-media"};
    int rooms = 0;
};

TEST_P(RecordingProcessing, AnH264AacMp4BecomesReadyAsCmafHlsAndDashWithPosterThumbnailsAndDownload)
{
    start();
    const std::string file = tmp.path() + "/lecture.mp4";
    // 6 s, keyframes every 2 s, timestamps starting at 0: remuxed, not transcoded.
    ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 6 -c:v libx264 -preset "
           "ultrafast -g 50 -pix_fmt yuv420p -c:a aac -shortest " +
           file);
    const std::string id = record(readFile(file));
    const auto r = settled(id);
    ASSERT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
    EXPECT_TRUE(r->isNull("failure"));
    EXPECT_NEAR(r->getValue<double>("duration_s"), 6.0, 0.5);
    EXPECT_TRUE(r->isNull("progress"));
    const auto m = r->getObject("media");
    ASSERT_TRUE(m);
    const auto tracks = m->getArray("sources")->getObject(0)->getArray("tracks");
    ASSERT_EQ(tracks->size(), 2u);
    for (unsigned i = 0; i < 2; ++i) EXPECT_FALSE(tracks->getObject(i)->getValue<bool>("transcoded")); // copied
    EXPECT_TRUE(s->waitForEvent("recording.ready", [&](const JsonObject& p) { return str(p, "id") == id; }));

    const std::string master = media(id, "master.m3u8");
    EXPECT_EQ(master.rfind("#EXTM3U", 0), 0u) << master;
    EXPECT_NE(master.find("#EXT-X-STREAM-INF:BANDWIDTH="), std::string::npos) << master;
    EXPECT_NE(master.find("CODECS=\"avc1.42c0"), std::string::npos) << master; // ffmpeg's ultrafast: Constrained Baseline
    EXPECT_NE(master.find("mp4a.40.2"), std::string::npos) << master;
    EXPECT_NE(master.find("RESOLUTION=320x240"), std::string::npos) << master;

    // The DASH MPD parses and names the same segments.
    const std::string mpd = media(id, "manifest.mpd");
    Poco::XML::DOMParser parser;
    Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(mpd);
    ASSERT_TRUE(doc->documentElement());
    EXPECT_EQ(doc->documentElement()->localName(), "MPD");
    Poco::AutoPtr<Poco::XML::NodeList> reps = doc->getElementsByTagName("Representation");
    EXPECT_EQ(reps->length(), 2u);
    EXPECT_NE(mpd.find("init-$RepresentationID$.mp4"), std::string::npos);

    // CMAF: an init segment (ftyp, moov) and media segments (moof, mdat) shared by HLS and DASH.
    const std::string playlist = media(id, "media_0.m3u8");
    EXPECT_NE(playlist.find("#EXT-X-MAP:URI=\"init-0.mp4\""), std::string::npos) << playlist;
    EXPECT_NE(playlist.find("#EXT-X-ENDLIST"), std::string::npos);
    const auto init = topBoxes(media(id, "init-0.mp4"));
    EXPECT_TRUE(!init.empty() && init[0] == "ftyp" && contains(init, "moov")) << ::testing::PrintToString(init);
    const auto segment = topBoxes(media(id, "seg-0-00001.m4s"));
    EXPECT_TRUE(contains(segment, "moof") && contains(segment, "mdat")) << ::testing::PrintToString(segment);
    EXPECT_NE(playlist.find("seg-0-00001.m4s"), std::string::npos);

    // The poster, the thumbnail track and its sheet, the download with its index first (a
    // fragmented MP4: moov, then moof/mdat pairs).
    EXPECT_EQ(media(id, "poster.jpg").substr(0, 2), "\xff\xd8");
    const std::string vtt = media(id, "thumbnails.vtt");
    EXPECT_EQ(vtt.rfind("WEBVTT", 0), 0u);
    EXPECT_NE(vtt.find("thumbnails-1.jpg#xywh=0,0,160,120"), std::string::npos) << vtt;
    EXPECT_EQ(media(id, "thumbnails-1.jpg").substr(0, 2), "\xff\xd8");
    const auto mp4 = topBoxes(media(id, "recording.mp4"));
    const auto moov = std::find(mp4.begin(), mp4.end(), "moov"), mdat = std::find(mp4.begin(), mp4.end(), "mdat");
    EXPECT_TRUE(moov != mp4.end() && mdat != mp4.end() && moov < mdat) << ::testing::PrintToString(mp4);
    EXPECT_NE(std::find(mp4.begin(), mp4.end(), "moof"), mp4.end()) << ::testing::PrintToString(mp4);
    // Nothing but finished files: no scratch directory, no temporary names.
    EXPECT_FALSE(std::filesystem::exists(s->storageDir() + "/" + id + "/.processing"));
    for (const auto& e : std::filesystem::directory_iterator(s->storageDir() + "/" + id + "/media"))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();

    // Processed again on request: ready again, the same layout.
    const auto again = s->expect(200, "POST", "/api/v1/recordings/" + id + "/reprocess", admin);
    EXPECT_EQ(str(again, "state"), "processing");
    EXPECT_EQ(str(settled(id), "state"), "ready");
    EXPECT_EQ(s->call("POST", "/api/v1/recordings/" + id + "/reprocess", Account{}).status, 401);
    const auto metrics = s->vtpd().get("/metrics").body;
    EXPECT_NE(metrics.find("vtp_plugin_recording_processing_seconds_per_media_second"), std::string::npos);
    EXPECT_NE(metrics.find("vtp_plugin_recording_processing_queue 0"), std::string::npos);
}

TEST_P(RecordingProcessing, AMediaRecorderVp8OpusWebmIsTranscodedToH264Aac)
{
    start();
    const std::string file = tmp.path() + "/capture.webm";
    // As MediaRecorder writes it: VP8 and Opus, no duration, no cues, one keyframe, timestamps
    // not starting at zero, and the picture size changing halfway (320x240, then 480x360).
    const std::string a = tmp.path() + "/a.webm", b = tmp.path() + "/b.webm";
    ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:v libvpx -deadline "
           "realtime -g 1000 -c:a libopus -shortest -f webm " +
           a);
    ffmpeg("-f lavfi -i testsrc2=size=480x360:rate=30 -f lavfi -i sine=frequency=660:sample_rate=48000 -t 3 -c:v libvpx -deadline "
           "realtime -g 1000 -c:a libopus -shortest -f webm " +
           b);
    writeFile(tmp.path() + "/list.txt", "file '" + a + "'\nfile '" + b + "'\n");
    ffmpeg("-f concat -safe 0 -i " + tmp.path() + "/list.txt -c copy -output_ts_offset 2.5 -live 1 -f webm " + file);
    const std::string id = record(readFile(file), "source Y2FtZXJh,filetype dmlkZW8vd2VibQ==");
    const auto r = settled(id);
    ASSERT_EQ(str(r, "state"), "ready") << RecordingServer::stringify(r);
    EXPECT_NEAR(r->getValue<double>("duration_s"), 6.0, 0.5);
    const auto tracks = r->getObject("media")->getArray("sources")->getObject(0)->getArray("tracks");
    ASSERT_EQ(tracks->size(), 2u);
    for (unsigned i = 0; i < 2; ++i) {
        const auto t = tracks->getObject(i);
        EXPECT_TRUE(t->getValue<bool>("transcoded"));
        EXPECT_EQ(str(t, "codec"), str(t, "kind") == "video" ? "h264" : "aac");
        if (str(t, "kind") == "video") {
            EXPECT_EQ(str(t, "source_codec"), "vp8");
            EXPECT_EQ(t->getValue<int>("width"), 320); // scaled to the first size
        }
    }
    const std::string master = media(id, "master.m3u8");
    EXPECT_NE(master.find("CODECS=\"avc1."), std::string::npos) << master;
    EXPECT_NE(master.find(",mp4a.40.2\""), std::string::npos) << master;
    EXPECT_NE(master.find("BANDWIDTH="), std::string::npos) << master;
    EXPECT_NE(master.find("RESOLUTION=320x240"), std::string::npos) << master;
    // Keyframes every 2 s although the source had one: several video segments.
    const std::string playlist = media(id, "media_0.m3u8");
    EXPECT_NE(playlist.find("seg-0-00002.m4s"), std::string::npos) << playlist;
    EXPECT_NE(media(id, "init-0.mp4").find("avc1"), std::string::npos);
    EXPECT_NE(media(id, "init-1.mp4").find("mp4a"), std::string::npos);
    EXPECT_NE(media(id, "thumbnails.vtt").find("thumbnails-1.jpg#xywh=160,0,160,120"), std::string::npos);
}

TEST_P(RecordingProcessing, BadMediaFailsWithAReasonAndVtpdServesOn)
{
    start();
    const std::string good = tmp.path() + "/good.mp4";
    ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=sample_rate=48000 -t 4 -c:v libx264 -preset ultrafast -c:a aac "
           "-shortest " +
           good);
    const std::string mp4 = readFile(good);

    // Empty: a source of no bytes.
    expectFailed(record(""), "is empty", "empty");
    // Truncated: an MP4 whose index (at its end) never got written.
    expectFailed(record(mp4.substr(0, mp4.size() / 2)), "moov atom not found", "truncated");
    // Random bytes.
    expectFailed(record(randomBytes(200000, 7)), "not a video or audio file", "random bytes");
    // Text named .webm.
    expectFailed(record(std::string(5000, 'x') + "hello, this is not a video\n",
                        "source Y2FtZXJh,filename bGVjdHVyZS53ZWJt,filetype dmlkZW8vd2VibQ=="),
                 "not a video or audio file", "text named .webm");

    // Absurd declared dimensions: a WebM whose header claims a picture 65535 wide (PixelWidth).
    const std::string webm = tmp.path() + "/small.webm";
    ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=10 -t 1 -c:v libvpx -deadline realtime -f webm " + webm);
    std::string huge = readFile(webm);
    const auto width = huge.find(std::string("\xb0\x82\x01\x40", 4));
    ASSERT_NE(width, std::string::npos);
    huge[width + 2] = huge[width + 3] = '\xff';
    expectFailed(record(huge), "65535x240 picture, larger than the 7680x4320 allowed", "absurd dimensions");

    // Lying sizes in an MP4's boxes: every sample size in stsz claims 1 GiB.
    std::string lying = mp4;
    const auto stsz = lying.find("stsz");
    ASSERT_NE(stsz, std::string::npos);
    const uint32_t count = (uint32_t(uint8_t(lying[stsz + 12])) << 24) | (uint32_t(uint8_t(lying[stsz + 13])) << 16) |
                           (uint32_t(uint8_t(lying[stsz + 14])) << 8) | uint32_t(uint8_t(lying[stsz + 15]));
    for (uint32_t i = 0; i < count && stsz + 16 + 4 * i + 4 <= lying.size(); ++i) {
        const size_t at = stsz + 16 + 4 * i;
        lying[at] = '\x40';
        lying[at + 1] = lying[at + 2] = lying[at + 3] = '\0';
    }
    expectFailed(record(lying), "could", "lying box sizes");

    // After all that, a good file still becomes ready on the same vtpd.
    EXPECT_EQ(str(settled(record(mp4)), "state"), "ready");
}

TEST_P(RecordingProcessing, AFileThatDecodesSlowlyIsStoppedAtTheWorkersCpuLimit)
{
    // The slowest preset and one second of CPU: a 10 s VP8 source cannot be transcoded in it.
    start("processing.cpu_seconds = 1\nprocessing.preset = \"veryslow\"\nprocessing.threads = 1\n");
    const std::string file = tmp.path() + "/slow.webm";
    ffmpeg("-f lavfi -i testsrc2=size=640x480:rate=30 -t 10 -c:v libvpx -deadline realtime -cpu-used 8 -f webm " + file);
    expectFailed(record(readFile(file)), "s of CPU time allowed", "slow");
}

TEST_P(RecordingProcessing, AWorkerOverItsMemoryLimitFailsTheRecordingWithTheReason)
{
    // A 1080p VP8 source transcoded with the slowest preset (a deep lookahead of 1080p frames)
    // cannot fit in the address space allowed; the worker still starts in it.
    start("processing.memory_mb = " + std::to_string(kTightMemoryMb) + "\nprocessing.preset = \"veryslow\"\nprocessing.threads = 2\n");
    const std::string file = tmp.path() + "/large.webm";
    ffmpeg("-f lavfi -i testsrc2=size=1920x1080:rate=30 -t 3 -c:v libvpx -deadline realtime -cpu-used 8 -f webm " + file);
    expectFailed(record(readFile(file)), "memory", "over the memory limit");
    // The limit is the worker's, not vtpd's: a small file is processed within it.
    const std::string small = tmp.path() + "/small.mp4";
    ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=10 -t 2 -c:v libx264 -preset ultrafast " + small);
    EXPECT_EQ(str(settled(record(readFile(small))), "state"), "ready");
}

// Cancelling the processing job (the kernel's /api/v1/jobs) stops the worker at once and fails
// the recording with that reason; vtpd processes the next one.
TEST_P(RecordingProcessing, CancellingTheProcessingJobStopsTheWorkerAndFailsTheRecording)
{
    start("processing.preset = \"veryslow\"\nprocessing.threads = 1\n");
    const std::string file = tmp.path() + "/slow.webm";
    ffmpeg("-f lavfi -i testsrc2=size=1280x720:rate=30 -t 30 -c:v libvpx -deadline realtime -cpu-used 8 -f webm " + file);
    const std::string id = record(readFile(file));
    std::string job;
    ASSERT_TRUE(pollUntil(
        [&] {
            const auto jobs = s->expect(200, "GET", "/api/v1/jobs?kind=recording.process&state=running", admin)->getArray("jobs");
            if (jobs->size() == 0) return false;
            job = str(jobs->getObject(0), "id");
            return true;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(100)));
    const auto began = std::chrono::steady_clock::now();
    s->expect(202, "POST", "/api/v1/jobs/" + job + "/cancel", admin);
    expectFailed(id, "processing was cancelled", "cancelled");
    // Well before the transcode of 30 s of 720p with the slowest preset could have ended.
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30));
    EXPECT_EQ(str(s->expect(200, "GET", "/api/v1/jobs/" + job, admin), "state"), "cancelled");
    const std::string small = tmp.path() + "/small.mp4";
    ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=10 -t 2 -c:v libx264 -preset ultrafast " + small);
    EXPECT_EQ(str(settled(record(readFile(small))), "state"), "ready");
}

TEST_P(RecordingProcessing, AWorkerThatCrashesHangsOrWritesGarbageFailsTheRecordingOnly)
{
    // A stand-in worker: what it does is read from a file the test writes.
    const std::string worker = tmp.path() + "/worker.sh", mode = tmp.path() + "/mode";
    writeFile(worker, "#!/bin/sh\ncase $(cat " + mode +
                          ") in\n"
                          "garbage) echo 'this is not JSON' ;;\n"
                          "crash) kill -SEGV $$ ;;\n"
                          "hang) exec sleep 60 ;;\n"
                          "silent) exit 0 ;;\n"
                          "esac\n");
    ::chmod(worker.c_str(), 0755);
    start("processing.worker = \"" + worker + "\"\nprocessing.timeout_seconds = 2\n");
    const std::string bytes = "anything";
    writeFile(mode, "garbage");
    expectFailed(record(bytes), "not a report", "garbage");
    writeFile(mode, "crash");
    expectFailed(record(bytes), "crashed", "crash");
    writeFile(mode, "silent");
    expectFailed(record(bytes), "without a result", "silent");
    writeFile(mode, "hang");
    expectFailed(record(bytes), "took longer than the 2 s allowed", "hang");
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordingProcessing, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
