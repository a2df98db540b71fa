// Lingering close, as nginx's lingering_close: a request answered before its body was read (413,
// 401 or 403 on a streamed route, 404...) leaves a client that may still be sending that body.
// Closing with its bytes unread, or unread bytes arriving after the close, makes the kernel answer
// with a reset, and a client still sending then fails to send, often without reading the answer
// that was already on its way (some stacks drop it). So the write side is shut instead (the answer
// ends with a FIN), and what the client sends is read and dropped until it closes, kLingerBytes
// have come, or kLingerMs have passed (the sweeper's bound), whichever is first.

#include "http/HttpConnection.hpp"

#include <Poco/Net/StreamSocketImpl.h>

#include <sys/socket.h>

#include <cerrno>
#include <memory>

namespace vtp::kernel::http {

Next startLinger(Connection& conn)
{
    conn.lingerOnClose = false;
    if (::shutdown(conn.socket.impl()->sockfd(), SHUT_WR) != 0) return Next::Close;
    conn.lingered = 0;
    conn.idleSinceMs = nowMs(); // the bound counts from now, however much arrives
    conn.lingering = true;
    return continueLinger(conn);
}

// Drops what has arrived without waiting for more: Lingering when the socket runs dry, Close at
// the end of the stream (the client closed, or the sweeper shut it at the time bound), an error,
// or the byte bound. Bytes Poco read ahead with the head go with the connection.
Next continueLinger(Connection& conn)
{
    constexpr size_t kBufferBytes = 64 << 10;
    thread_local std::unique_ptr<char[]> buffer(new char[kBufferBytes]);
    const int fd = conn.socket.impl()->sockfd();
    while (conn.lingered < kLingerBytes && nowMs() - conn.idleSinceMs.load() < kLingerMs) {
        const ssize_t n = ::recv(fd, buffer.get(), kBufferBytes, MSG_DONTWAIT);
        if (n > 0)
            conn.lingered += static_cast<uint64_t>(n);
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return Next::Lingering;
        else
            return Next::Close;
    }
    return Next::Close;
}

} // namespace vtp::kernel::http
