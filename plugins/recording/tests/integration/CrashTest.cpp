// kill -9 of vtpd in the middle of a tus PATCH, on SQLite and PostgreSQL: after a restart HEAD
// reports at least every acknowledged offset, the upload finishes from there, and the stored file
// is the source byte for byte.
#include "RecordingTestSupport.hpp"

#include <filesystem>

#include <signal.h>

using namespace vtp::test;

namespace {

class TusCrash : public ::testing::TestWithParam<Backend> {};

TEST_P(TusCrash, KillNineMidPatchLosesNoAcknowledgedByteAndTheUploadCompletes)
{
    RecordingServer s(GetParam());
    Account admin = s.staff("admin@uni.example", "admin");
    const std::string rec = str(s.expect(201, "POST", "/api/v1/recordings", admin, R"({"room_id":"hall-2","title":"Crash"})"), "id");
    const std::string source = randomBytes(6 * 1024 * 1024, 42);
    const std::string url = s.createUpload(rec, admin, source.size());
    const std::string file = s.storageDir() + "/" + rec + "/" + url.substr(url.rfind('/') + 1);

    // Two chunks acknowledged.
    uint64_t acked = 0;
    for (int i = 0; i < 2; ++i) {
        const auto r = s.tus("PATCH", url, admin, {{"Upload-Offset", std::to_string(acked)}}, source.substr(acked, 1024 * 1024));
        ASSERT_EQ(r.status, 204) << r.body;
        acked = std::stoull(headerOf(r, "Upload-Offset"));
    }
    ASSERT_EQ(acked, 2u * 1024 * 1024);

    // A third PATCH announces the rest and sends part of it; vtpd dies while it waits for more.
    RawHttpConnection c(s.vtpd().httpPort());
    c.send("PATCH " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin.token +
           "\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: " + std::to_string(acked) +
           "\r\nContent-Length: " + std::to_string(source.size() - acked) + "\r\n\r\n");
    c.send(source.substr(acked, 1536 * 1024));
    std::error_code ec;
    ASSERT_TRUE(pollUntil(
        [&] {
            const auto size = std::filesystem::file_size(file, ec);
            return !ec && size > acked;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(2)))
        << "the server wrote none of the third PATCH";
    s.vtpd().stop(SIGKILL);
    ASSERT_TRUE(s.vtpd().start()) << s.vtpd().logs();
    s.relogin(admin);

    // At least every acknowledged byte, and exactly the source's bytes up to the offset.
    const auto head = s.tus("HEAD", url, admin);
    ASSERT_EQ(head.status, 200) << head.body;
    const uint64_t offset = std::stoull(headerOf(head, "Upload-Offset"));
    EXPECT_GE(offset, acked);
    ASSERT_LT(offset, source.size());
    EXPECT_EQ(sha256Hex(readFile(file)), sha256Hex(source.substr(0, offset)));

    // The client resumes from there and finishes.
    const auto rest = s.tus("PATCH", url, admin, {{"Upload-Offset", std::to_string(offset)}}, source.substr(offset));
    ASSERT_EQ(rest.status, 204) << rest.body;
    EXPECT_EQ(headerOf(rest, "Upload-Offset"), std::to_string(source.size()));
    EXPECT_EQ(sha256Hex(readFile(file)), sha256Hex(source));
    const auto recording = s.expect(200, "GET", "/api/v1/recordings/" + rec, admin);
    EXPECT_EQ(str(recording->getArray("sources")->getObject(0), "state"), "complete");
}

INSTANTIATE_TEST_SUITE_P(Backends, TusCrash, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
