#include "http/FileResponse.hpp"

#include "http/Conditionals.hpp"
#include "http/HttpTypes.hpp"
#include "vtp/abi.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vtp::kernel {

namespace {

const std::string* findHeader(const HeaderList& headers, std::string_view lowerName)
{
    for (const auto& [k, v] : headers) {
        if (k.size() != lowerName.size()) continue;
        if (std::equal(k.begin(), k.end(), lowerName.begin(),
                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return &v;
    }
    return nullptr;
}

// A problem that keeps the handler's headers (Cache-Control, validators) and drops the file.
void turnIntoProblem(HttpResponseData& r, int status, std::string_view type, std::string_view title, std::string_view detail,
                     const std::string& instance)
{
    auto headers = std::move(r.headers);
    r = makeProblem(status, type, title, detail, instance);
    r.headers = std::move(headers);
}

// If-Range (RFC 9110 13.1.5): an entity-tag must match strongly; a date must equal Last-Modified,
// which must itself be strong: at least a second older than now.
bool ifRangeHolds(std::string_view value, const std::string& etag, int64_t lastModified, int64_t now)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (value.starts_with("\"") || value.starts_with("W/")) return etagListMatches(value, etag, true);
    const auto date = parseHttpDate(value);
    return date && *date == lastModified && lastModified <= now - 1;
}

} // namespace

FileBody::~FileBody()
{
    if (fd >= 0) ::close(fd);
}

int openFileBody(const char* path, uint64_t offset, uint64_t length, std::shared_ptr<FileBody>& out, std::string& error)
{
    if (!path || !*path) {
        error = "no path";
        return VTP_INVALID;
    }
    // O_NONBLOCK: a FIFO must not hold the handler's thread in open(); it is refused below.
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        const int e = errno;
        error = std::string("cannot open the file: ") + std::strerror(e);
        return e == ENOENT || e == ENOTDIR ? VTP_NOT_FOUND : VTP_ERROR;
    }
    auto body = std::make_shared<FileBody>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = std::string("cannot stat the file: ") + std::strerror(errno);
        return VTP_ERROR;
    }
    if (!S_ISREG(st.st_mode)) {
        error = "not a regular file";
        return VTP_INVALID;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (offset > size || (length != UINT64_MAX && length > size - offset)) {
        error = "the part asked for lies past the end of the file (" + std::to_string(size) + " bytes)";
        return VTP_INVALID;
    }
    body->offset = offset;
    body->length = length == UINT64_MAX ? size - offset : length;
    body->sendOffset = body->offset;
    body->sendLength = body->length;
    body->mtimeSeconds = static_cast<int64_t>(st.st_mtim.tv_sec);
    const auto mtimeNs =
        static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull + static_cast<unsigned long long>(st.st_mtim.tv_nsec);
    char tag[96];
    std::snprintf(tag, sizeof tag, "\"%llx-%llx-%llx-%llx\"", static_cast<unsigned long long>(st.st_ino), mtimeNs,
                  static_cast<unsigned long long>(body->offset), static_cast<unsigned long long>(body->length));
    body->etag = tag;
    out = std::move(body);
    return VTP_OK;
}

void applyFileConditionals(const IncomingRequest& req, HttpResponseData& r, int64_t now)
{
    if (!r.file) return;
    FileBody& f = *r.file;
    f.sendOffset = f.offset;
    f.sendLength = f.length;
    // Another status (a 404 page from a file, say) is sent as it is: validators describe a 200.
    if (r.status != 200) return;

    std::string etag = f.etag;
    if (const auto* own = findHeader(r.headers, "etag"))
        etag = *own;
    else
        r.headers.emplace_back("ETag", etag);
    int64_t lastModified = f.mtimeSeconds;
    if (const auto* own = findHeader(r.headers, "last-modified")) {
        if (const auto d = parseHttpDate(*own)) lastModified = *d;
    } else {
        r.headers.emplace_back("Last-Modified", formatHttpDate(lastModified));
    }
    r.headers.emplace_back("Accept-Ranges", "bytes");

    const bool getOrHead = req.method == "GET" || req.method == "HEAD";
    // RFC 9110 13.2.2, in its order: If-Match, else If-Unmodified-Since; If-None-Match, else
    // If-Modified-Since; then If-Range with Range.
    bool failed = false;
    if (const auto* v = req.header("if-match")) {
        failed = !etagListMatches(*v, etag, true);
    } else if (const auto* v = req.header("if-unmodified-since")) {
        const auto d = parseHttpDate(*v);
        failed = d && lastModified > *d;
    }
    if (failed) {
        turnIntoProblem(r, 412, "precondition-failed", "Precondition failed",
                        "the file does not match the request's If-Match or If-Unmodified-Since", req.requestId);
        return;
    }
    bool notModified = false;
    if (const auto* v = req.header("if-none-match")) {
        if (etagListMatches(*v, etag, false)) {
            if (!getOrHead) {
                turnIntoProblem(r, 412, "precondition-failed", "Precondition failed", "the file matches the request's If-None-Match",
                                req.requestId);
                return;
            }
            notModified = true;
        }
    } else if (const auto* v = req.header("if-modified-since"); v && getOrHead) {
        const auto d = parseHttpDate(*v);
        notModified = d && *d <= now && lastModified <= *d; // a date in the future is invalid (13.1.3)
    }
    if (notModified) {
        r.status = 304;
        r.contentType.clear();
        r.body.clear();
        r.file.reset();
        return;
    }

    // Range applies to GET only (RFC 9110 14.2); HEAD answers as GET without Range would.
    const auto* range = req.header("range");
    if (!range || req.method != "GET") return;
    if (const auto* v = req.header("if-range"); v && !ifRangeHolds(*v, etag, lastModified, now)) return;
    ByteRange br;
    switch (parseRange(*range, f.length, br)) {
    case RangeVerdict::Ignore:
    case RangeVerdict::Multiple: return;
    case RangeVerdict::Unsatisfiable: {
        const std::string size = std::to_string(f.length); // the problem replaces the file, and `f` with it
        turnIntoProblem(r, 416, "range-not-satisfiable", "Range not satisfiable",
                        "no range of the request overlaps the file's " + size + " bytes", req.requestId);
        r.headers.emplace_back("Content-Range", "bytes */" + size);
        return;
    }
    case RangeVerdict::Single:
        r.status = 206;
        r.headers.emplace_back("Content-Range",
                               "bytes " + std::to_string(br.first) + "-" + std::to_string(br.last) + "/" + std::to_string(f.length));
        f.sendOffset = f.offset + br.first;
        f.sendLength = br.length();
        return;
    }
}

} // namespace vtp::kernel
