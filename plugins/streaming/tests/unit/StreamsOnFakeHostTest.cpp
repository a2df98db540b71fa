// Streams::verifyPlayback on the fake host (tests/mocks): the token a stream's playback URL
// carries is accepted for its user, and refused when tampered with, made for another stream,
// made for someone who may not watch, or when the stream is gone.
#include "FakeHost.hpp"
#include "Streams.hpp"

#include <vtp/sdk.hpp>
#include <vtp/services/sections.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using vtp::test::FakeHost;
using vtp::test::FakeRequest;

namespace {

// The courses plugin's service as a map: section -> user -> relation.
std::map<std::string, std::map<std::string, std::string>> roster;

int relation(void*, const char* section, const char* user, char* out, size_t cap)
{
    const auto s = roster.find(section);
    if (s == roster.end()) return VTP_NOT_FOUND;
    const auto u = s->second.find(user);
    const std::string r = u == s->second.end() ? "" : u->second;
    if (cap < 16) return VTP_INVALID;
    std::snprintf(out, cap, "%s", r.c_str());
    return VTP_OK;
}

vtp_sections_v1 sectionsTable()
{
    vtp_sections_v1 t{};
    t.struct_size = VTP_SECTIONS_V1_SIZE;
    t.relation = relation;
    return t;
}

// The plugin's migrations, one statement at a time (the fake runs one per call).
void migrate(FakeHost& fake)
{
    for (const char* name : {"001_create_streaming.sql", "002_streams.sql", "003_ingest_ports.sql"}) {
        std::ifstream in(std::string(VTP_STREAMING_MIGRATIONS) + "/" + name);
        ASSERT_TRUE(in) << name;
        std::stringstream text;
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("--", 0) != 0) text << line.substr(0, line.find(" --")) << "\n";
        std::string all = text.str();
        for (size_t start = 0, end; (end = all.find(';', start)) != std::string::npos; start = end + 1)
            fake.sql(all.substr(start, end - start));
    }
}

// The token of a playback URL ".../live/TOKEN/master.m3u8".
std::string tokenOf(const vtp::Json& stream)
{
    const std::string hls = stream["playback"]["hls"].asString();
    const size_t end = hls.rfind('/');
    const size_t start = hls.rfind('/', end - 1) + 1;
    return hls.substr(start, end - start);
}

int statusOf(const std::function<void()>& f, std::string* type = nullptr)
{
    try {
        f();
    } catch (const vtp::HttpError& e) {
        if (type) *type = e.type();
        return e.status();
    }
    return 200;
}

class StreamsOnFakeHost : public ::testing::Test {
protected:
    void SetUp() override
    {
        roster = {{"sec-1", {{"prof", "instructor"}, {"ada", "enrolled"}}}};
        fake = std::make_unique<FakeHost>(
            VTP_ABI_MINOR,
            R"({"ingest":{"rtmp_url":"rtmp://ingest.example/live","srt_url":"srt://ingest.example:9000"},"playback":{"url_lifetime_seconds":600}})");
        migrate(*fake);
        table = sectionsTable();
        fake->offer(VTP_SECTIONS_SERVICE, VTP_SECTIONS_VERSION, &table);
        host = std::make_unique<vtp::Host>(vtp::detail::HostRef{fake->api(), fake->handle()});
        streams = std::make_unique<vtp::streaming::Streams>(*host);
        streams->start();
    }

    vtp::Json call(int status, const std::string& method, const std::string& path, const std::string& user, std::vector<std::string> roles,
                   const std::string& body = {})
    {
        FakeRequest r;
        r.subject = user;
        r.roles = std::move(roles);
        r.body = body;
        r.contentType = body.empty() ? "" : "application/json";
        const auto res = fake->call(method, path, r);
        EXPECT_EQ(res.status, status) << method << " " << path << ": " << res.body;
        return res.body.empty() ? vtp::Json() : vtp::Json::parse(res.body);
    }

    std::unique_ptr<FakeHost> fake;
    vtp_sections_v1 table{};
    std::unique_ptr<vtp::Host> host;
    std::unique_ptr<vtp::streaming::Streams> streams;
};

} // namespace

TEST_F(StreamsOnFakeHost, VerifyPlaybackAcceptsTheTokenOfItsStreamAndUserOnly)
{
    const auto made = call(201, "POST", "/api/v1/streams", "prof", {"instructor"}, R"({"section_id":"sec-1","title":"Live"})");
    const std::string id = made["id"].asString();
    EXPECT_EQ(streams->verifyPlayback(id, tokenOf(made)), "prof");
    const auto other = call(201, "POST", "/api/v1/streams", "prof", {"instructor"}, R"({"section_id":"sec-1","title":"Other"})");

    // The enrolled student's own URL works, for this stream only.
    const auto seen = call(200, "GET", "/api/v1/streams/" + id, "ada", {"student"});
    const std::string token = tokenOf(seen);
    EXPECT_EQ(streams->verifyPlayback(id, token), "ada");
    std::string type;
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(other["id"].asString(), token); }, &type), 403);
    EXPECT_EQ(type, "invalid-token");

    // Tampered: another user's id with the same MAC, a longer life, a flipped MAC character.
    auto t = *vtp::playback::parse(token);
    auto forged = t;
    forged.userId = "bob";
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, vtp::playback::format(forged)); }, &type), 403);
    EXPECT_EQ(type, "invalid-token");
    forged = t;
    forged.expiresAt += 3600;
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, vtp::playback::format(forged)); }), 403);
    std::string flipped = token;
    flipped.back() = flipped.back() == 'A' ? 'Q' : 'A';
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, flipped); }), 403);
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, "not-a-token"); }), 403);

    // Signed with the plugin's key, but expired, or for someone not on the roster.
    const std::string key = *fake->sql("SELECT secret FROM streaming_keys WHERE name = 'playback'").at(0).at(0);
    const std::string expired =
        vtp::playback::issue(key, vtp::streaming::Streams::kTokenDomain, id, "ada", false, static_cast<int64_t>(::time(nullptr)) - 1);
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, expired); }, &type), 403);
    EXPECT_EQ(type, "token-expired");
    const std::string bobs =
        vtp::playback::issue(key, vtp::streaming::Streams::kTokenDomain, id, "bob", false, static_cast<int64_t>(::time(nullptr)) + 60);
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, bobs); }, &type), 403);
    EXPECT_EQ(type, "forbidden");

    // Deleted: the stream's URLs stop at once.
    call(204, "DELETE", "/api/v1/streams/" + id, "prof", {"instructor"});
    EXPECT_EQ(statusOf([&] { streams->verifyPlayback(id, token); }, &type), 404);
}

TEST_F(StreamsOnFakeHost, PublicEventsAndLogsNeverCarryTheKey)
{
    const auto made = call(201, "POST", "/api/v1/streams", "prof", {"instructor"}, R"({"section_id":"sec-1","title":"Live"})");
    const std::string key = made["key"].asString();
    ASSERT_EQ(key.size(), 43u); // 32 bytes, base64url
    EXPECT_EQ(made["ingest"]["rtmp"].asString(), "rtmp://ingest.example/live/" + key);
    const auto rotated = call(200, "POST", "/api/v1/streams/" + made["id"].asString() + "/rotate-key", "prof", {"instructor"});
    call(204, "DELETE", "/api/v1/streams/" + made["id"].asString(), "prof", {"instructor"});
    ASSERT_EQ(fake->published().size(), 2u);
    EXPECT_EQ(fake->published()[0].first, "stream.created");
    EXPECT_EQ(fake->published()[1].first, "stream.deleted");
    for (const auto& [name, payload] : fake->published()) {
        EXPECT_EQ(payload.find(key), std::string::npos) << name;
        EXPECT_EQ(payload.find(rotated["key"].asString()), std::string::npos) << name;
    }
    ASSERT_FALSE(fake->logs().empty());
    for (const auto& line : fake->logs())
        for (const std::string& secret : {key, rotated["key"].asString()}) {
            EXPECT_EQ(line.message.find(secret), std::string::npos) << line.message;
            for (const auto& [field, value] : line.fields) EXPECT_EQ(value.find(secret), std::string::npos) << field;
        }
}
