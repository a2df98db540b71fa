#pragma once

// Streamed request bodies (ABI 1.6): a route declared with Body::Stream gets its body in pieces
// as they arrive, never held whole, up to the route's maxBodyBytes (gigabytes are fine).

#include "vtp/abi.h"
#include "vtp/errors.hpp"
#include "vtp/http.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vtp {

// Why a streamed body ended before its sink's finish().
enum class BodyAbort : uint32_t {
    Disconnected = VTP_BODY_ABORT_DISCONNECTED, // the client went away mid-body
    Timeout = VTP_BODY_ABORT_TIMEOUT,           // it stalled for http.request_timeout_seconds (the client got 408)
    TooLarge = VTP_BODY_ABORT_TOO_LARGE,        // a chunked body passed maxBodyBytes (413)
    Malformed = VTP_BODY_ABORT_MALFORMED,       // broken chunked framing (400)
    Shutdown = VTP_BODY_ABORT_SHUTDOWN,         // the server stopped first
    Refused = 100,                              // the sink's data() threw (the client gets that error)
};

inline const char* toString(BodyAbort r)
{
    switch (r) {
    case BodyAbort::Disconnected: return "disconnected";
    case BodyAbort::Timeout: return "timeout";
    case BodyAbort::TooLarge: return "too-large";
    case BodyAbort::Malformed: return "malformed";
    case BodyAbort::Shutdown: return "shutdown";
    case BodyAbort::Refused: return "refused";
    }
    return "unknown";
}

// Receives one streamed body. The route's StreamHandler makes one per request once the kernel
// has authorised it; then data() for each piece, and finish() when the body is whole or abort()
// when it will not be (exactly one of the two), then the sink is destroyed. The calls never
// overlap and run on the kernel's HTTP workers: write to a local disk, never wait on the network.
class BodySink {
public:
    virtual ~BodySink() = default;
    // The next piece (len > 0, chunk framing removed). Throw (an HttpError, e.g. 507 when the disk
    // is full) to refuse the rest: abort(Refused) follows and the client gets that error.
    virtual void data(std::string_view piece) = 0;
    // The whole body arrived (request.bodyBytes() long): answer. Sync what you stored first if the
    // answer acknowledges it (FileWriter::sync).
    virtual Response finish(const Request& request) = 0;
    // The body will not end: clean up (remove a partial file...). No answer is possible.
    virtual void abort(BodyAbort reason) { (void)reason; }
};

// Makes the sink for one request, before a byte of its body is read; throw an HttpError to refuse
// the upload (the body is then not read at all).
using StreamHandler = std::function<std::unique_ptr<BodySink>(const Request&)>;

// Writes a body to a file: what an upload's sink does. Not thread-safe (a sink's calls never
// overlap). Closes on destruction; remove() deletes the file.
class FileWriter {
public:
    FileWriter() = default;
    // Creates or truncates `path` (append: keeps what is there and writes after it, for resumable
    // uploads). Throws std::runtime_error if it cannot be opened.
    explicit FileWriter(std::string path, bool append = false) : path_(std::move(path))
    {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0640);
        if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
        if (append) {
            struct stat st {};
            if (::fstat(fd_, &st) == 0) written_ = static_cast<uint64_t>(st.st_size);
        }
    }
    FileWriter(FileWriter&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_), written_(o.written_) { o.fd_ = -1; }
    FileWriter& operator=(FileWriter&& o) noexcept
    {
        if (this != &o) {
            close();
            path_ = std::move(o.path_);
            fd_ = o.fd_;
            written_ = o.written_;
            o.fd_ = -1;
        }
        return *this;
    }
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;
    ~FileWriter() { close(); }

    // Writes all of `bytes`. A full disk is a 507 the client sees; other failures throw runtime_error.
    void write(std::string_view bytes)
    {
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == ENOSPC || errno == EDQUOT))
                throw HttpError(507, "insufficient-storage", "Insufficient storage", "the server has no room for this upload");
            if (n <= 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
            bytes.remove_prefix(static_cast<size_t>(n));
            written_ += static_cast<uint64_t>(n);
        }
    }
    // Every byte written so far is on the disk when this returns (fdatasync).
    void sync()
    {
        if (::fdatasync(fd_) != 0) throw std::runtime_error("cannot sync " + path_ + ": " + std::strerror(errno));
    }
    void close()
    {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    // Closes and deletes the file (a partial upload).
    void remove()
    {
        close();
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    uint64_t written() const { return written_; } // the file's length, appended bytes included
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    uint64_t written_ = 0;
};

} // namespace vtp
