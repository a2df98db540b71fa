// Range, entity-tag and date parsing (RFC 9110 sections 13 and 14), and how a handler's file
// response turns into 200, 206, 304, 412 or 416.
#include "http/Conditionals.hpp"
#include "http/FileResponse.hpp"
#include "http/HttpTypes.hpp"
#include "vtp/abi.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace vtp::kernel;

namespace {

RangeVerdict range(std::string_view header, uint64_t size, ByteRange* out = nullptr)
{
    ByteRange r;
    const auto v = parseRange(header, size, r);
    if (out) *out = r;
    return v;
}

} // namespace

TEST(RangeHeader, SingleRangesWithinAndPastTheEnd)
{
    ByteRange r;
    EXPECT_EQ(range("bytes=0-99", 1000, &r), RangeVerdict::Single);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.last, 99u);
    EXPECT_EQ(range("bytes=990-", 1000, &r), RangeVerdict::Single); // open-ended
    EXPECT_EQ(r.first, 990u);
    EXPECT_EQ(r.last, 999u);
    EXPECT_EQ(range("bytes=999-5000", 1000, &r), RangeVerdict::Single); // last past the end is clamped
    EXPECT_EQ(r.first, 999u);
    EXPECT_EQ(r.last, 999u);
    EXPECT_EQ(range("bytes=0-99999999999999999999999", 10, &r), RangeVerdict::Single); // saturates, clamped
    EXPECT_EQ(r.last, 9u);
    EXPECT_EQ(range("Bytes = 5-6 ", 10, &r), RangeVerdict::Single); // unit is case-insensitive, OWS around
    EXPECT_EQ(r.first, 5u);
}

TEST(RangeHeader, SuffixRanges)
{
    ByteRange r;
    EXPECT_EQ(range("bytes=-100", 1000, &r), RangeVerdict::Single);
    EXPECT_EQ(r.first, 900u);
    EXPECT_EQ(r.last, 999u);
    EXPECT_EQ(range("bytes=-5000", 1000, &r), RangeVerdict::Single); // longer than the file: all of it
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.last, 999u);
    EXPECT_EQ(range("bytes=-0", 1000), RangeVerdict::Unsatisfiable);
    EXPECT_EQ(range("bytes=-10", 0), RangeVerdict::Ignore); // an empty file is answered whole
}

TEST(RangeHeader, UnsatisfiableRangesStartAtOrPastTheEnd)
{
    EXPECT_EQ(range("bytes=1000-", 1000), RangeVerdict::Unsatisfiable);
    EXPECT_EQ(range("bytes=1000-2000", 1000), RangeVerdict::Unsatisfiable);
    EXPECT_EQ(range("bytes=0-", 0), RangeVerdict::Unsatisfiable);
    EXPECT_EQ(range("bytes=5000-6000, 7000-", 1000), RangeVerdict::Unsatisfiable);
}

TEST(RangeHeader, InvalidOrForeignRangesAreIgnored)
{
    for (const char* h : {"", "bytes", "bytes=", "bytes=,", "bytes=abc", "bytes=5", "bytes=9-3", "bytes=-", "bytes=--1", "bytes=1-2-3",
                          "bytes=+1-2", "bytes=0x10-20", "items=0-5", "bytes 0-5", "bytes=1 -2"})
        EXPECT_EQ(range(h, 1000), RangeVerdict::Ignore) << h;
}

TEST(RangeHeader, SeveralRangesAreAnsweredWhole)
{
    EXPECT_EQ(range("bytes=0-1, 5-6", 1000), RangeVerdict::Multiple);
    EXPECT_EQ(range("bytes=0-1,,5000-", 1000), RangeVerdict::Multiple); // one satisfiable is enough
    EXPECT_EQ(range("bytes=0-1,", 1000), RangeVerdict::Single);         // empty list elements are skipped
    std::string many = "bytes=0-0";
    for (int i = 0; i < 200; ++i) many += ",0-0";
    EXPECT_EQ(range(many, 1000), RangeVerdict::Ignore); // too many: ignored
}

TEST(HttpDate, ReadsTheThreeFormsAndWritesImfFixdate)
{
    constexpr int64_t k = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
    EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), k);
    EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), k);
    EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), k);
    EXPECT_EQ(formatHttpDate(k), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(parseHttpDate(formatHttpDate(1767225600)), 1767225600); // 2026-01-01
    for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Abc 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                            "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTX"})
        EXPECT_FALSE(parseHttpDate(bad).has_value()) << bad;
    EXPECT_EQ(parseHttpDate("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800); // a leap day
}

TEST(EntityTags, StrongAndWeakComparison)
{
    EXPECT_TRUE(etagListMatches("\"a\"", "\"a\"", true));
    EXPECT_TRUE(etagListMatches(" \"x\", \"a\" ", "\"a\"", true));
    EXPECT_FALSE(etagListMatches("W/\"a\"", "\"a\"", true));
    EXPECT_TRUE(etagListMatches("W/\"a\"", "\"a\"", false));
    EXPECT_TRUE(etagListMatches("\"a\"", "W/\"a\"", false));
    EXPECT_FALSE(etagListMatches("\"a\"", "W/\"a\"", true));
    EXPECT_TRUE(etagListMatches("*", "\"a\"", true));
    EXPECT_FALSE(etagListMatches("\"b\"", "\"a\"", false));
    for (const char* bad : {"", "a", "\"a", "\"a\" \"b\"", "\"a\";", "w/\"a\"", ","})
        EXPECT_FALSE(etagListMatches(bad, "\"a\"", false)) << bad;
}

namespace {

class FileResponseTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/vtp-file-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
        path_ = dir_ + "/ten.bin";
        std::ofstream(path_) << "0123456789";
    }
    void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

    // The handler's 200 with the whole file, after the request `headers` of `method`.
    HttpResponseData answer(const std::string& method, HeaderList headers, int64_t now = 2000000000)
    {
        IncomingRequest req;
        req.method = method;
        req.headers = std::move(headers);
        req.requestId = "rid";
        HttpResponseData r;
        r.contentType = "application/octet-stream";
        std::string error;
        EXPECT_EQ(openFileBody(path_.c_str(), 0, VTP_FILE_TO_END, r.file, error), VTP_OK) << error;
        applyFileConditionals(req, r, now);
        return r;
    }
    static std::string header(const HttpResponseData& r, const std::string& name)
    {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }

    std::string dir_, path_;
};

} // namespace

TEST_F(FileResponseTest, WholeFileCarriesValidators)
{
    const auto r = answer("GET", {});
    EXPECT_EQ(r.status, 200);
    ASSERT_TRUE(r.file);
    EXPECT_EQ(r.file->sendLength, 10u);
    EXPECT_EQ(header(r, "Accept-Ranges"), "bytes");
    EXPECT_EQ(header(r, "ETag").front(), '"'); // strong
    struct stat st {};
    ::stat(path_.c_str(), &st);
    EXPECT_EQ(header(r, "Last-Modified"), formatHttpDate(st.st_mtim.tv_sec));
}

TEST_F(FileResponseTest, RangeGivesPartialContentAndUnsatisfiableGives416)
{
    auto r = answer("GET", {{"range", "bytes=2-4"}});
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(header(r, "Content-Range"), "bytes 2-4/10");
    EXPECT_EQ(r.file->sendOffset, 2u);
    EXPECT_EQ(r.file->sendLength, 3u);

    r = answer("GET", {{"range", "bytes=10-"}});
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(header(r, "Content-Range"), "bytes */10");
    EXPECT_FALSE(r.file);
    EXPECT_NE(r.body.find("range-not-satisfiable"), std::string::npos);

    r = answer("HEAD", {{"range", "bytes=2-4"}}); // Range is for GET only
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.file->sendLength, 10u);
}

TEST_F(FileResponseTest, IfNoneMatchAndIfModifiedSinceGive304)
{
    const std::string etag = header(answer("GET", {}), "ETag");
    const std::string lastModified = header(answer("GET", {}), "Last-Modified");
    auto r = answer("GET", {{"if-none-match", etag}});
    EXPECT_EQ(r.status, 304);
    EXPECT_FALSE(r.file);
    EXPECT_EQ(header(r, "ETag"), etag);
    EXPECT_EQ(answer("GET", {{"if-none-match", "W/" + etag}}).status, 304); // weak comparison
    EXPECT_EQ(answer("GET", {{"if-none-match", "\"other\""}}).status, 200);
    EXPECT_EQ(answer("GET", {{"if-modified-since", lastModified}}).status, 304);
    EXPECT_EQ(answer("GET", {{"if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    EXPECT_EQ(answer("GET", {{"if-none-match", "\"other\""}, {"if-modified-since", lastModified}}).status, 200);
    // A date in the future is no valid If-Modified-Since.
    const auto lm = parseHttpDate(lastModified).value();
    EXPECT_EQ(answer("GET", {{"if-modified-since", formatHttpDate(lm + 100)}}, lm + 50).status, 200);
}

TEST_F(FileResponseTest, IfMatchAndIfUnmodifiedSinceGive412)
{
    const std::string etag = header(answer("GET", {}), "ETag");
    EXPECT_EQ(answer("GET", {{"if-match", etag}}).status, 200);
    EXPECT_EQ(answer("GET", {{"if-match", "W/" + etag}}).status, 412); // strong comparison
    const auto r = answer("GET", {{"if-match", "\"other\""}});
    EXPECT_EQ(r.status, 412);
    EXPECT_NE(r.body.find("precondition-failed"), std::string::npos);
    EXPECT_EQ(answer("GET", {{"if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 412);
    EXPECT_EQ(answer("GET", {{"if-unmodified-since", "garbage"}}).status, 200); // an invalid date is ignored
    // If-Match is evaluated, If-Unmodified-Since then ignored.
    EXPECT_EQ(answer("GET", {{"if-match", etag}, {"if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 200);
}

TEST_F(FileResponseTest, IfRangeSendsTheRangeOnlyForTheSameFile)
{
    const auto whole = answer("GET", {});
    const std::string etag = header(whole, "ETag");
    const std::string lastModified = header(whole, "Last-Modified");
    EXPECT_EQ(answer("GET", {{"range", "bytes=0-0"}, {"if-range", etag}}).status, 206);
    EXPECT_EQ(answer("GET", {{"range", "bytes=0-0"}, {"if-range", "\"old\""}}).status, 200);
    EXPECT_EQ(answer("GET", {{"range", "bytes=0-0"}, {"if-range", "W/" + etag}}).status, 200);
    EXPECT_EQ(answer("GET", {{"range", "bytes=0-0"}, {"if-range", lastModified}}).status, 206);
    // Last-Modified within the last second is weak: no range on a date.
    const auto lm = parseHttpDate(lastModified).value();
    EXPECT_EQ(answer("GET", {{"range", "bytes=0-0"}, {"if-range", lastModified}}, lm).status, 200);
}

TEST_F(FileResponseTest, OpeningRefusesWhatIsNoRegularFileOrPastItsEnd)
{
    std::shared_ptr<FileBody> body;
    std::string error;
    EXPECT_EQ(openFileBody((dir_ + "/missing").c_str(), 0, VTP_FILE_TO_END, body, error), VTP_NOT_FOUND);
    EXPECT_EQ(openFileBody(dir_.c_str(), 0, VTP_FILE_TO_END, body, error), VTP_INVALID);
    const std::string fifo = dir_ + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(openFileBody(fifo.c_str(), 0, VTP_FILE_TO_END, body, error), VTP_INVALID); // and does not block
    EXPECT_EQ(openFileBody(path_.c_str(), 11, VTP_FILE_TO_END, body, error), VTP_INVALID);
    EXPECT_EQ(openFileBody(path_.c_str(), 5, 6, body, error), VTP_INVALID);
    ASSERT_EQ(openFileBody(path_.c_str(), 5, 3, body, error), VTP_OK);
    EXPECT_EQ(body->length, 3u);
    EXPECT_EQ(body->offset, 5u);
}

TEST_F(FileResponseTest, APartOfTheFileIsItsOwnRepresentation)
{
    IncomingRequest req;
    req.method = "GET";
    req.headers = {{"range", "bytes=-2"}};
    HttpResponseData r;
    std::string error;
    ASSERT_EQ(openFileBody(path_.c_str(), 4, 4, r.file, error), VTP_OK);
    const std::string partTag = r.file->etag;
    applyFileConditionals(req, r, 2000000000);
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(header(r, "Content-Range"), "bytes 2-3/4");
    EXPECT_EQ(r.file->sendOffset, 6u);
    EXPECT_EQ(r.file->sendLength, 2u);
    std::shared_ptr<FileBody> whole;
    ASSERT_EQ(openFileBody(path_.c_str(), 0, VTP_FILE_TO_END, whole, error), VTP_OK);
    EXPECT_NE(whole->etag, partTag);
}
