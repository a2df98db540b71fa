// The tus 1.0 server by raw requests, on SQLite and PostgreSQL: creation (with upload, deferred
// length), HEAD, PATCH, checksum, termination, expiration, CORS, and every error the protocol
// names (409, 412, 413, 404, 410, 415, 403, 460), and OPTIONS discovery.
#include "RecordingTestSupport.hpp"

#include <vtp/base64.hpp>

#include <Poco/SHA1Engine.h>

#include <filesystem>

using namespace vtp::test;

namespace {

std::string sha1Base64(const std::string& bytes)
{
    Poco::SHA1Engine engine;
    engine.update(bytes.data(), bytes.size());
    const auto& d = engine.digest();
    return vtp::base64Encode(std::string(d.begin(), d.end()));
}

class TusProtocol : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override
    {
        s = std::make_unique<RecordingServer>(GetParam(), "[plugins.recording.uploads]\nmax_bytes = 1048576\n");
        admin = s->staff("admin@uni.example", "admin");
        bob = s->student("bob@uni.example");
        recording = str(s->expect(201, "POST", "/api/v1/recordings", admin, R"({"room_id":"room-1","title":"Tus"})"), "id");
        uploads = "/api/v1/recordings/" + recording + "/uploads";
    }

    std::unique_ptr<RecordingServer> s;
    Account admin, bob;
    std::string recording, uploads;
};

TEST_P(TusProtocol, CreatesPatchesAndReportsOffsetsDurablyOnDisk)
{
    const auto created = s->tus("POST", uploads, admin,
                                {{"Upload-Length", "11"}, {"Upload-Metadata", "filename bGVjdHVyZS53ZWJt,filetype dmlkZW8vd2VibQ=="}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(headerOf(created, "Tus-Resumable"), "1.0.0");
    EXPECT_EQ(headerOf(created, "Upload-Offset"), "0");
    EXPECT_NE(headerOf(created, "Upload-Expires").find(" GMT"), std::string::npos);
    const std::string url = headerOf(created, "Location");
    ASSERT_EQ(url.rfind(uploads + "/", 0), 0u) << url;

    auto head = s->tus("HEAD", url, admin);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(headerOf(head, "Upload-Offset"), "0");
    EXPECT_EQ(headerOf(head, "Upload-Length"), "11");
    EXPECT_EQ(headerOf(head, "Upload-Metadata"), "filename bGVjdHVyZS53ZWJt,filetype dmlkZW8vd2VibQ==");
    EXPECT_EQ(headerOf(head, "Cache-Control"), "no-store");
    EXPECT_EQ(headerOf(head, "Tus-Version"), "1.0.0");
    EXPECT_EQ(headerOf(head, "Tus-Max-Size"), "1048576");
    EXPECT_NE(headerOf(head, "Tus-Extension").find("creation-defer-length"), std::string::npos);
    EXPECT_NE(headerOf(head, "Tus-Checksum-Algorithm").find("sha1"), std::string::npos);

    auto patch = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, "hello ");
    ASSERT_EQ(patch.status, 204) << patch.body;
    EXPECT_EQ(headerOf(patch, "Upload-Offset"), "6");
    // A stale offset is a conflict, answered with the real one.
    auto stale = s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, "hello ");
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(headerOf(stale, "Upload-Offset"), "6");
    // Checksummed: a wrong digest is 460 and the chunk is dropped; the right one is stored.
    auto wrong = s->tus("PATCH", url, admin, {{"Upload-Offset", "6"}, {"Upload-Checksum", "sha1 " + sha1Base64("other")}}, "world");
    EXPECT_EQ(wrong.status, 460);
    EXPECT_EQ(headerOf(s->tus("HEAD", url, admin), "Upload-Offset"), "6");
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "6"}, {"Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA=="}}, "world").status,
              400);
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "6"}, {"Upload-Checksum", "sha1 !!"}}, "world").status, 400);
    patch = s->tus("PATCH", url, admin, {{"Upload-Offset", "6"}, {"Upload-Checksum", "sha1 " + sha1Base64("world")}}, "world");
    ASSERT_EQ(patch.status, 204) << patch.body;
    EXPECT_EQ(headerOf(patch, "Upload-Offset"), "11");
    EXPECT_TRUE(headerOf(patch, "Upload-Expires").empty()) << "a complete upload does not expire";

    const std::string uploadId = url.substr(url.rfind('/') + 1);
    EXPECT_EQ(readFile(s->storageDir() + "/" + recording + "/" + uploadId), "hello world");
    // Complete: one more byte is refused; the recording lists the source with its server start.
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "11"}}, "!").status, 409);
    const auto rec = s->expect(200, "GET", "/api/v1/recordings/" + recording, admin);
    EXPECT_EQ(rec->getValue<int64_t>("size_bytes"), 11);
    const auto source = rec->getArray("sources")->getObject(0);
    EXPECT_EQ(str(source, "kind"), "file");
    EXPECT_EQ(str(source, "filename"), "lecture.webm");
    EXPECT_EQ(str(source, "media_type"), "video/webm");
    EXPECT_EQ(str(source, "state"), "complete");
    EXPECT_GE(source->getValue<int64_t>("offset_ms"), 0);
    EXPECT_GT(source->getValue<int64_t>("started_at_ms"), 1700000000000);
}

TEST_P(TusProtocol, CreationWithUploadAndDeferredLength)
{
    const std::string body = randomBytes(1000, 7);
    auto created = s->tus("POST", uploads, admin, {{"Upload-Defer-Length", "1"}, {"Upload-Checksum", "sha1 " + sha1Base64(body)}}, body);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(headerOf(created, "Upload-Offset"), "1000");
    const std::string url = headerOf(created, "Location");
    auto head = s->tus("HEAD", url, admin);
    EXPECT_EQ(headerOf(head, "Upload-Defer-Length"), "1");
    EXPECT_TRUE(headerOf(head, "Upload-Length").empty());
    // The length arrives with the last chunk; it cannot change afterwards.
    auto last = s->tus("PATCH", url, admin, {{"Upload-Offset", "1000"}, {"Upload-Length", "1500"}}, std::string(500, 'x'));
    ASSERT_EQ(last.status, 204) << last.body;
    head = s->tus("HEAD", url, admin);
    EXPECT_EQ(headerOf(head, "Upload-Length"), "1500");
    EXPECT_EQ(headerOf(head, "Upload-Offset"), "1500");
    EXPECT_EQ(sha256Hex(readFile(s->storageDir() + "/" + recording + "/" + url.substr(url.rfind('/') + 1))),
              sha256Hex(body + std::string(500, 'x')));
    // An empty upload is complete at once.
    const std::string empty = s->createUpload(recording, admin, 0);
    EXPECT_EQ(str(s->tus("GET", empty, admin).json(), "state"), "complete");
    EXPECT_EQ(s->tus("PATCH", empty, admin, {{"Upload-Offset", "0"}}, "").status, 409);
}

TEST_P(TusProtocol, EveryErrorTheProtocolNames)
{
    const std::string url = s->createUpload(recording, admin, 100);
    // 412: a version this server does not speak (or none), with Tus-Version.
    auto r = s->tus("HEAD", url, admin, {{"Tus-Resumable", "0.2.2"}});
    EXPECT_EQ(r.status, 412);
    EXPECT_EQ(headerOf(r, "Tus-Version"), "1.0.0");
    r = s->call("PATCH", url, admin, "abc", "application/offset+octet-stream", {{"Upload-Offset", "0"}});
    EXPECT_EQ(r.status, 412) << "no Tus-Resumable at all";
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Tus-Resumable", "2.0.0"}, {"Upload-Length", "1"}}).status, 412);
    // 415: a PATCH that is not application/offset+octet-stream; a creation body without that type.
    r = s->call("PATCH", url, admin, "abc", "application/octet-stream", {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}});
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(r.contentType, "application/problem+json");
    EXPECT_EQ(s->call("POST", uploads, admin, "abc", "text/plain", {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "3"}}).status, 415);
    // 409: the wrong offset.
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "5"}}, "abc").status, 409);
    // 400: no offset, a malformed one, no length, both lengths, bad metadata.
    EXPECT_EQ(s->tus("PATCH", url, admin, {}, "abc").status, 400);
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "-1"}}, "abc").status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin).status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Length", "1"}, {"Upload-Defer-Length", "1"}}).status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Defer-Length", "2"}}).status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Length", "ten"}}).status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Length", "1"}, {"Upload-Metadata", "a YQ==,a YQ=="}}).status, 400);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Length", "1"}, {"Upload-Metadata", "source bWljcm93YXZl"}}).status, 400);
    // 413: over Tus-Max-Size (1 MiB here), or past the upload's own length.
    r = s->tus("POST", uploads, admin, {{"Upload-Length", "1048577"}});
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(headerOf(r, "Tus-Max-Size"), "1048576");
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, std::string(101, 'a')).status, 413);
    // 404: no such upload, or one of another recording.
    EXPECT_EQ(s->tus("HEAD", uploads + "/0123456789abcdef", admin).status, 404);
    EXPECT_EQ(s->tus("PATCH", uploads + "/0123456789abcdef", admin, {{"Upload-Offset", "0"}}, "a").status, 404);
    EXPECT_EQ(s->tus("POST", "/api/v1/recordings/nope/uploads", admin, {{"Upload-Length", "1"}}).status, 404);
    // 403: someone else's upload, or a recording the caller does not manage.
    EXPECT_EQ(s->tus("PATCH", url, bob, {{"Upload-Offset", "0"}}, "abc").status, 403);
    EXPECT_EQ(s->tus("HEAD", url, bob).status, 403);
    EXPECT_EQ(s->tus("DELETE", url, bob).status, 403);
    EXPECT_EQ(s->tus("POST", uploads, bob, {{"Upload-Length", "1"}}).status, 403);
    // 401 without a token, from the kernel.
    EXPECT_EQ(s->tus("HEAD", url, Account{}).status, 401);
    // A stopped recording takes no new source, but its open uploads may finish.
    s->expect(200, "POST", "/api/v1/recordings/" + recording + "/stop", admin);
    EXPECT_EQ(s->tus("POST", uploads, admin, {{"Upload-Length", "1"}}).status, 409);
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, std::string(100, 'a')).status, 204);
}

// What tus-js-client sends for the end of a deferred stream: a chunked PATCH whose whole body
// (the last-chunk alone, or a short chunk and it) arrives in the packet of its head.
TEST_P(TusProtocol, ChunkedPatchesWhoseBodyComesWithTheirHead)
{
    const std::string url = s->createUpload(recording, admin, std::nullopt);
    auto patch = [&](const std::string& offset, const std::string& extra, const std::string& body) {
        return rawExchange(s->vtpd().httpPort(), "PATCH " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin.token +
                                                     "\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
                                                     "Upload-Offset: " +
                                                     offset + "\r\n" + extra + "Transfer-Encoding: chunked\r\n\r\n" + body);
    };
    auto r = patch("0", "", "5\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("upload-offset"), "5");
    r = patch("5", "Upload-Length: 5\r\n", "0\r\n\r\n");
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(str(s->tus("GET", url, admin).json(), "state"), "complete");
}

TEST_P(TusProtocol, TerminationRemovesTheUploadAndItsBytes)
{
    const std::string url = s->createUpload(recording, admin, 10);
    ASSERT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "0"}}, "12345").status, 204);
    const std::string file = s->storageDir() + "/" + recording + "/" + url.substr(url.rfind('/') + 1);
    ASSERT_TRUE(std::filesystem::exists(file));
    auto r = s->tus("DELETE", url, admin);
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(headerOf(r, "Tus-Resumable"), "1.0.0");
    EXPECT_FALSE(std::filesystem::exists(file));
    EXPECT_EQ(s->tus("HEAD", url, admin).status, 404);
    EXPECT_EQ(s->tus("PATCH", url, admin, {{"Upload-Offset", "5"}}, "67890").status, 404);
    EXPECT_EQ(s->tus("DELETE", url, admin).status, 404);
}

TEST_P(TusProtocol, BrowsersMayUseTheTusHeadersAcrossOrigins)
{
    const std::string url = s->createUpload(recording, admin, 10);
    const std::string preflight = "OPTIONS " + url +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n"
                                  "Access-Control-Request-Method: PATCH\r\n"
                                  "Access-Control-Request-Headers: upload-offset, tus-resumable, content-type, upload-checksum\r\n\r\n";
    // Without http.cors_origins no other origin may call: the kernel refuses the preflight.
    EXPECT_EQ(rawExchange(s->vtpd().httpPort(), preflight).status, 403);

    // The operator allows the web client's origin: the tus headers may be sent and read.
    s->allowCorsOrigin("https://app.example");
    s->relogin(admin);
    const auto ok = rawExchange(s->vtpd().httpPort(), preflight);
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(ok.header("access-control-allow-origin"), "https://app.example");
    EXPECT_NE(lowerCase(ok.header("access-control-allow-headers")).find("upload-offset"), std::string::npos);
    EXPECT_NE(ok.header("access-control-allow-methods").find("PATCH"), std::string::npos);
    const auto head = s->tus("HEAD", url, admin, {{"Origin", "https://app.example"}});
    EXPECT_EQ(head.status, 200);
    const std::string exposed = lowerCase(headerOf(head, "Access-Control-Expose-Headers"));
    for (const char* h : {"upload-offset", "upload-length", "tus-resumable", "location", "upload-expires"})
        EXPECT_NE(exposed.find(h), std::string::npos) << h << " in " << exposed;
}

TEST_P(TusProtocol, OptionsDiscoversTheServerWhilePreflightsStayTheKernels)
{
    // tus discovery: no token, and a Tus-Resumable the server does not speak is ignored.
    for (const std::map<std::string, std::string>& headers :
         {std::map<std::string, std::string>{}, std::map<std::string, std::string>{{"Tus-Resumable", "0.2.2"}}}) {
        const auto r = s->vtpd().request("OPTIONS", uploads, {}, {}, headers);
        EXPECT_EQ(r.status, 204) << r.body;
        EXPECT_TRUE(r.body.empty());
        EXPECT_EQ(headerOf(r, "Tus-Resumable"), "1.0.0");
        EXPECT_EQ(headerOf(r, "Tus-Version"), "1.0.0");
        EXPECT_EQ(headerOf(r, "Tus-Extension"), "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration");
        EXPECT_EQ(headerOf(r, "Tus-Max-Size"), "1048576");
        EXPECT_EQ(headerOf(r, "Tus-Checksum-Algorithm"), "sha1,sha256");
    }
    // An upload URL declares no OPTIONS (tus asks it of the creation URL): the router's 405 as before.
    const std::string url = s->createUpload(recording, admin, 10);
    const auto other = s->vtpd().request("OPTIONS", url, {}, {}, {});
    EXPECT_EQ(other.status, 405) << other.body;
    EXPECT_EQ(headerOf(other, "Allow"), "DELETE, GET, HEAD, PATCH");
    EXPECT_TRUE(headerOf(other, "Tus-Version").empty());

    // A preflight of the creation URL is the kernel's CORS answer, never the plugin's.
    const auto preflight = [&](const std::string& method) {
        return rawExchange(s->vtpd().httpPort(), "OPTIONS " + uploads +
                                                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n"
                                                     "Access-Control-Request-Method: " +
                                                     method + "\r\nAccess-Control-Request-Headers: upload-length, tus-resumable\r\n\r\n");
    };
    auto refused = preflight("POST");
    EXPECT_EQ(refused.status, 403) << refused.body; // no http.cors_origins yet
    EXPECT_EQ(jsonString(refused.json(), "type"), "urn:vtp:problem:cors-refused");
    s->allowCorsOrigin("https://app.example");
    const auto ok = preflight("POST");
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(ok.header("access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(ok.header("access-control-allow-methods"), "POST");
    EXPECT_TRUE(ok.header("tus-version").empty()) << "the plugin answered a preflight";
    // A preflight for a method the path lacks stays the router's 405.
    const auto lacking = preflight("PUT");
    EXPECT_EQ(lacking.status, 405) << lacking.body;
    EXPECT_TRUE(lacking.header("tus-version").empty());
    // A page's own OPTIONS (Origin, no Access-Control-Request-Method) is discovery, with CORS headers.
    const auto page = s->vtpd().request("OPTIONS", uploads, {}, {}, {{"Origin", "https://app.example"}});
    EXPECT_EQ(page.status, 204) << page.body;
    EXPECT_EQ(headerOf(page, "Tus-Version"), "1.0.0");
    EXPECT_EQ(headerOf(page, "Access-Control-Allow-Origin"), "https://app.example");
}

TEST_P(TusProtocol, UnfinishedUploadsExpireAreSweptAndAnswer410)
{
    s.reset();
    RecordingServer fast(GetParam(), "[plugins.recording.uploads]\nexpire_seconds = 2\nsweep_seconds = 1\n");
    const Account a = fast.staff("admin@uni.example", "admin");
    const std::string rec = str(fast.expect(201, "POST", "/api/v1/recordings", a, R"({"room_id":"r","title":"t"})"), "id");
    const std::string url = fast.createUpload(rec, a, 10);
    const std::string file = fast.storageDir() + "/" + rec + "/" + url.substr(url.rfind('/') + 1);
    // The sweep removes the bytes once the upload has been idle past its expiry.
    EXPECT_TRUE(pollUntil([&] { return !std::filesystem::exists(file); }, std::chrono::seconds(20), std::chrono::milliseconds(50)));
    auto r = fast.tus("HEAD", url, a);
    EXPECT_EQ(r.status, 410);
    EXPECT_EQ(fast.tus("PATCH", url, a, {{"Upload-Offset", "5"}}, "67890").status, 410);
    EXPECT_EQ(str(fast.expect(200, "GET", "/api/v1/recordings/" + rec, a)->getArray("sources")->getObject(0), "state"), "expired");
}

INSTANTIATE_TEST_SUITE_P(Backends, TusProtocol, ::testing::Values(Backend::SQLite, Backend::PostgreSQL), backendName);

} // namespace
