// File responses: the bytes after the head, sent with sendfile(2) as the socket has room (EPOLLOUT).

#include "http/HttpConnection.hpp"

#include "log/Logger.hpp"

#include <Poco/Net/StreamSocketImpl.h>

#include <sys/ioctl.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>

namespace vtp::kernel::http {

using namespace Poco::Net;

namespace {

// FIONBIO sets the one flag in one system call, where fcntl needs F_GETFL and F_SETFL: the mode
// flips twice per file response, and system calls are most of a small file's cost.
bool setNonBlocking(int fd, bool on)
{
    int value = on ? 1 : 0;
    return ::ioctl(fd, FIONBIO, &value) == 0;
}

// Bytes sent to one connection before its worker lets the others have a turn (nginx's
// sendfile_max_chunk is 2 MiB): a fast client of a large file does not hold a worker for long.
constexpr uint64_t kFileTurnBytes = 2 << 20;

} // namespace

// Sends what the socket takes of a file response without blocking: Sending when it is full (the
// connection then waits in the epoll set for room) or this turn's share is spent. A client that
// has gone, or a file that shrank below the Content-Length already promised, ends the connection.
// The request stays in flight until the last byte is out (or closeConnection cuts it short).
Next continueTransfer(HttpServer::Shared& sh, Connection& conn)
{
    Transfer& t = *conn.transfer;
    const int fd = conn.socket.impl()->sockfd();
    bool failed = !setNonBlocking(fd, true);
    uint64_t turn = 0;
    while (!failed && t.next < t.end) {
        if (turn >= kFileTurnBytes) return Next::Sending;
        auto offset = static_cast<off_t>(t.next);
        const ssize_t n = ::sendfile(fd, t.file->fd, &offset, static_cast<size_t>(std::min(t.end - t.next, kFileTurnBytes)));
        if (n > 0) {
            t.next += static_cast<uint64_t>(n);
            turn += static_cast<uint64_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Next::Sending;
        } else {
            if (n == 0) sh.log.warn("http", "a file shrank while it was being sent", {{"request_id", t.in.requestId}});
            failed = true;
        }
    }
    if (!failed) failed = !setNonBlocking(fd, false);
    const std::unique_ptr<Transfer> done = std::move(conn.transfer);
    completeRequest(sh, done->in, done->pattern, done->status, done->started);
    return failed ? Next::Close : conn.session.getKeepAlive() ? Next::Keep : Next::Close;
}

// The head of a file response went out: its bytes follow, now and whenever the socket has room.
Next startTransfer(HttpServer::Shared& sh, Connection& conn, const std::shared_ptr<FileBody>& file, IncomingRequest in, std::string pattern,
                   int status, std::chrono::steady_clock::time_point started)
{
    conn.transfer = std::make_unique<Transfer>(
        Transfer{file, file->sendOffset, file->sendOffset + file->sendLength, std::move(in), std::move(pattern), status, started});
    return continueTransfer(sh, conn);
}

} // namespace vtp::kernel::http
