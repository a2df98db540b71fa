#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace vtp::kernel {

struct HttpResponseData;
struct IncomingRequest;

// A regular file a handler answers with, opened by the kernel during the handler call: the server
// sends bytes [sendOffset, sendOffset + sendLength) with sendfile(2). The descriptor closes with
// the last reference (a vanished client included).
struct FileBody {
    explicit FileBody(int descriptor) : fd(descriptor) {}
    ~FileBody();
    FileBody(const FileBody&) = delete;
    FileBody& operator=(const FileBody&) = delete;

    int fd = -1;
    uint64_t offset = 0; // where the representation begins in the file
    uint64_t length = 0; // the representation's size, fixed when the file was opened
    std::string etag;    // strong: "inode-mtime_ns-offset-length" in hex
    int64_t mtimeSeconds = 0;
    // What goes on the wire, set by applyFileConditionals (the whole representation, or a range).
    uint64_t sendOffset = 0;
    uint64_t sendLength = 0;
};

// Opens `path` (a regular file) for a response of `length` bytes from `offset` (UINT64_MAX: to the
// end of the file as it is now). Returns a vtp_status: VTP_NOT_FOUND (no such file), VTP_INVALID
// (not a regular file, or the part lies past its end), VTP_ERROR (cannot open it: `error` says why).
int openFileBody(const char* path, uint64_t offset, uint64_t length, std::shared_ptr<FileBody>& out, std::string& error);

// RFC 9110's preconditions (13.2.2) and Range (14.2) for a handler's 200 file response, in place:
// adds ETag and Last-Modified (unless the handler set its own), Accept-Ranges, and turns the answer
// into 304, 412, 206 (one range; Content-Range) or 416 (Content-Range: bytes */size), or leaves the
// whole file. Multiple ranges get the whole file (200). `now` is seconds since the epoch.
void applyFileConditionals(const IncomingRequest& request, HttpResponseData& response, int64_t now);

} // namespace vtp::kernel
