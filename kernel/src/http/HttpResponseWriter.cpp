// Writing a response: the head and a small body in one send(2), with the headers the kernel frames itself.

#include "http/HttpConnection.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <initializer_list>
#include <string_view>

namespace vtp::kernel::http {

using namespace Poco::Net;

namespace {

// RFC 9110's Date (IMF-fixdate), made once a second per thread.
const std::string& httpDate()
{
    thread_local time_t cachedSecond = 0;
    thread_local std::string cached;
    const time_t now = ::time(nullptr);
    if (now != cachedSecond) {
        struct tm utc {};
        ::gmtime_r(&now, &utc);
        char buf[64];
        const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached.assign(buf, n);
        cachedSecond = now;
    }
    return cached;
}

bool headerSafe(std::string_view s)
{
    return s.find_first_of("\r\n") == std::string_view::npos;
}

bool namedAny(std::string_view name, std::initializer_list<std::string_view> names)
{
    for (auto n : names) {
        if (name.size() == n.size() && std::equal(name.begin(), name.end(), n.begin(),
                                                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return true;
    }
    return false;
}

// The whole response in one buffer, written with one send(2): Poco's response streams write
// the head and the body separately, two system calls and two packets for every small answer.
void writeResponse(StreamSocket& socket, std::string_view version, const HttpResponseData& r, const std::string& requestId, bool keepAlive,
                   bool withBody)
{
    const bool bodyless = r.status == 204 || r.status == 304;
    const uint64_t length = r.file ? r.file->sendLength : r.body.size();
    std::string out;
    out.reserve(192 + r.contentType.size() + (withBody ? r.body.size() : 0));
    out.append(version).append(" ").append(std::to_string(r.status)).append(" ").append(reasonPhrase(r.status)).append("\r\n");
    out.append("Date: ").append(httpDate()).append("\r\n");
    if (!keepAlive)
        out.append("Connection: close\r\n");
    else if (version == "HTTP/1.0")
        out.append("Connection: keep-alive\r\n");
    if (!requestId.empty()) out.append("X-Request-Id: ").append(requestId).append("\r\n");
    for (const auto& [k, v] : r.headers) {
        // What the kernel frames itself is not the handler's to set; a CR or LF would split
        // the response.
        if (!headerSafe(k) || !headerSafe(v) ||
            namedAny(k, {"content-length", "transfer-encoding", "connection", "x-request-id", "date"}) ||
            (!r.contentType.empty() && namedAny(k, {"content-type"})))
            continue;
        out.append(k).append(": ").append(v).append("\r\n");
    }
    if (!bodyless) {
        if (!r.contentType.empty()) out.append("Content-Type: ").append(r.contentType).append("\r\n");
        out.append("Content-Length: ").append(std::to_string(length)).append("\r\n");
    }
    out.append("\r\n");
    if (withBody && !bodyless && !r.file) out.append(r.body);
    // A file follows the head: MSG_MORE lets the kernel put both in the same packets.
    const int flags = withBody && !bodyless && r.file && length > 0 ? MSG_MORE : 0;
    size_t sent = 0;
    while (sent < out.size()) {
        const int n = socket.sendBytes(out.data() + sent, static_cast<int>(std::min<size_t>(out.size() - sent, 1 << 30)), flags);
        if (n <= 0) throw Poco::Net::NetException("the client stopped reading");
        sent += static_cast<size_t>(n);
    }
}

} // namespace

void writeRaw(StreamSocket& socket, HttpResponseData r, const std::string& requestId)
{
    addSecurityHeaders(r.headers, false);
    try {
        writeResponse(socket, "HTTP/1.1", r, requestId, false, true);
    } catch (const Poco::Exception&) {
        // The client is gone; nothing to tell it.
    }
}

// Writes the response, or the head of a file response; returns whether file bytes follow.
bool send(HttpServer::Shared& sh, Connection& conn, const std::string& version, bool requestKeepAlive, const IncomingRequest& in,
          const HttpResponseData& out)
{
    const bool keepAlive = !out.closeConnection && !sh.stopping && requestKeepAlive && sh.params->getKeepAlive() && conn.remaining != 0;
    conn.session.setKeepAlive(keepAlive);
    const bool withBody = in.method != "HEAD";
    writeResponse(conn.socket, version == HTTPMessage::HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", out, in.requestId, keepAlive, withBody);
    return withBody && out.file && out.file->sendLength > 0 && out.status != 204 && out.status != 304;
}

bool send(HttpServer::Shared& sh, Connection& conn, const HTTPRequest& request, const IncomingRequest& in, const HttpResponseData& out)
{
    return send(sh, conn, request.getVersion(), request.getKeepAlive(), in, out);
}

} // namespace vtp::kernel::http
