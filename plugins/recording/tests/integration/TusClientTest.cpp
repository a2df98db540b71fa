// The stock tus-js-client (npm) in node against the recording plugin, on SQLite and PostgreSQL:
// an upload with creation-with-upload, abort and resume, a deferred length, termination. The
// stored file must be the source, byte for byte.
#include "RecordingTestSupport.hpp"

#include <filesystem>

using namespace vtp::test;

namespace {

class TusClient : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<RecordingServer>(GetParam());
        prof = s->staff("prof@uni.example", "admin");
        recording = str(s->expect(201, "POST", "/api/v1/recordings", prof, R"({"room_id":"hall-1","title":"Lecture"})"), "id");
        source = randomBytes(3 * 1024 * 1024 + 12345, 11);
        sourceFile = dir.file("lecture.webm");
        writeFile(sourceFile, source);
    }

    // Runs one scenario of npm/tus-client.mjs; returns its JSON answer.
    JsonObject client(const std::string& scenario, uint64_t chunkSize, uint64_t abortAfter = 0)
    {
        const std::string endpoint =
            "http://127.0.0.1:" + std::to_string(s->vtpd().httpPort()) + "/api/v1/recordings/" + recording + "/uploads";
        Poco::JSON::Object args;
        args.set("scenario", scenario);
        args.set("endpoint", endpoint);
        args.set("token", prof.token);
        args.set("file", sourceFile);
        args.set("chunkSize", chunkSize);
        args.set("abortAfter", abortAfter);
        std::ostringstream json;
        args.stringify(json);
        std::string output;
        const int code = VtpdProcess::run({VTP_TEST_NODE, std::string(VTP_RECORDING_NPM_DIR) + "/tus-client.mjs", json.str()}, output);
        const auto line = output.substr(0, output.find('\n'));
        if (code != 0) throw std::runtime_error("tus-client " + scenario + " failed (" + std::to_string(code) + "): " + output);
        return Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    }

    // The stored file of the upload at `url` (an absolute URL or a path).
    std::string stored(const std::string& url)
    {
        return readFile(s->storageDir() + "/" + recording + "/" + url.substr(url.rfind('/') + 1));
    }
    std::string path(const std::string& url) { return url.substr(url.find("/api/")); }

    TempDir dir;
    std::unique_ptr<RecordingServer> s;
    Account prof;
    std::string recording, source, sourceFile;
};

TEST_P(TusClient, UploadsAFileWithCreationWithUploadAndChunks)
{
    const auto out = client("upload", 256 * 1024);
    const std::string url = str(out, "url");
    EXPECT_EQ(sha256Hex(stored(url)), sha256Hex(source));
    const auto head = s->tus("HEAD", path(url), prof);
    EXPECT_EQ(headerOf(head, "Upload-Offset"), std::to_string(source.size()));
    const auto rec = s->expect(200, "GET", "/api/v1/recordings/" + recording, prof);
    const auto src = rec->getArray("sources")->getObject(0);
    EXPECT_EQ(str(src, "kind"), "screen");
    EXPECT_EQ(str(src, "filename"), "lecture.webm");
    EXPECT_EQ(str(src, "state"), "complete");
    EXPECT_EQ(rec->getValue<uint64_t>("size_bytes"), source.size());
}

TEST_P(TusClient, ResumesAnUploadAbortedInTheMiddleOfAPatch)
{
    const auto out = client("resume", 1024 * 1024, 1536 * 1024);
    const std::string url = str(out, "url");
    // The second client went on from where the server was, not from the start.
    const auto resumedFrom = out->getValue<uint64_t>("resumedFrom");
    EXPECT_GE(resumedFrom, 1024u * 1024u) << "the first chunk was acknowledged before the abort";
    EXPECT_LT(resumedFrom, source.size());
    EXPECT_EQ(sha256Hex(stored(url)), sha256Hex(source));
}

TEST_P(TusClient, UploadsAStreamOfUnknownLengthWithADeferredLength)
{
    const auto out = client("deferred", 512 * 1024);
    const std::string url = str(out, "url");
    EXPECT_FALSE(out->isNull("lengthSentAt")) << "tus-js-client declared the length with a PATCH";
    const auto head = s->tus("HEAD", path(url), prof);
    EXPECT_EQ(headerOf(head, "Upload-Length"), std::to_string(source.size()));
    EXPECT_TRUE(headerOf(head, "Upload-Defer-Length").empty());
    EXPECT_EQ(sha256Hex(stored(url)), sha256Hex(source));
}

TEST_P(TusClient, TerminatesAnUpload)
{
    const auto out = client("terminate", 256 * 1024);
    const std::string url = str(out, "url");
    EXPECT_EQ(s->tus("HEAD", path(url), prof).status, 404);
    EXPECT_FALSE(std::filesystem::exists(s->storageDir() + "/" + recording + "/" + url.substr(url.rfind('/') + 1)));
    EXPECT_EQ(s->expect(200, "GET", "/api/v1/recordings/" + recording, prof)->getArray("sources")->size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, TusClient, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
