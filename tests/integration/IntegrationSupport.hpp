#pragma once

// Helpers the integration tests share beyond VtpdProcess: raw HTTP over a plain socket (for
// requests Poco's client refuses to send), a WebSocket client, and process memory.

#include "VtpdProcess.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/WebSocket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace vtp::test {

inline std::string lowerCase(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    bool complete = false; // head and the whole Content-Length body arrived

    std::string header(const std::string& lowerName) const
    {
        auto it = headers.find(lowerName);
        return it == headers.end() ? std::string() : it->second;
    }
    Poco::JSON::Object::Ptr json() const { return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>(); }
};

// Parses one response from the front of `buffer`; on success removes it from the buffer.
// `headOnly`: the response to a HEAD request, which has Content-Length but no body.
inline std::optional<RawResponse> takeResponse(std::string& buffer, bool headOnly = false)
{
    const auto end = buffer.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    RawResponse r;
    std::istringstream head(buffer.substr(0, end));
    std::string line;
    std::getline(head, line);
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) throw std::runtime_error("not an HTTP response: " + line);
    r.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[lowerCase(line.substr(0, colon))] = value;
    }
    size_t length = 0;
    if (!headOnly && r.headers.count("content-length")) length = std::stoul(r.headers["content-length"]);
    if (buffer.size() < end + 4 + length) return std::nullopt;
    r.body = buffer.substr(end + 4, length);
    r.complete = true;
    buffer.erase(0, end + 4 + length);
    return r;
}

// A plain TCP connection to vtpd's HTTP port, for requests that must be malformed on purpose.
class RawHttpConnection {
public:
    explicit RawHttpConnection(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port))
    {
        socket_.setReceiveTimeout(Poco::Timespan(10, 0));
        socket_.setSendTimeout(Poco::Timespan(10, 0));
    }

    void send(const std::string& bytes)
    {
        size_t sent = 0;
        while (sent < bytes.size()) {
            const int n = socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
            if (n <= 0) throw std::runtime_error("send failed");
            sent += static_cast<size_t>(n);
        }
    }

    // Reads until one whole response is buffered. A reset after the response was sent still
    // yields the response; a connection that ends before one gives a response with status 0.
    RawResponse readResponse(bool headOnly = false)
    {
        while (true) {
            if (auto r = takeResponse(buffer_, headOnly)) return *r;
            if (!fill()) return {};
        }
    }

    // True if the server closed the connection (EOF or reset) within the receive timeout.
    bool closedByServer()
    {
        try {
            char c;
            return socket_.receiveBytes(&c, 1) == 0;
        } catch (const Poco::Net::ConnectionResetException&) {
            return true;
        } catch (const Poco::TimeoutException&) {
            return false;
        }
    }

    Poco::Net::StreamSocket& socket() { return socket_; }

private:
    bool fill()
    {
        char buf[8192];
        int n = 0;
        try {
            n = socket_.receiveBytes(buf, sizeof buf);
        } catch (const Poco::Net::ConnectionResetException&) {
            return false;
        }
        if (n <= 0) return false;
        buffer_.append(buf, static_cast<size_t>(n));
        return true;
    }

    Poco::Net::StreamSocket socket_;
    std::string buffer_;
};

// Sends `request` on a fresh connection and reads the one response.
inline RawResponse rawExchange(uint16_t port, const std::string& request, bool headOnly = false)
{
    RawHttpConnection c(port);
    c.send(request);
    return c.readResponse(headOnly);
}

// A WebSocket client connected to vtpd's socket port.
struct WsClient {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::unique_ptr<Poco::Net::WebSocket> socket;

    WsClient(uint16_t port, const std::string& path) : session(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port))
    {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        Poco::Net::HTTPResponse response;
        socket = std::make_unique<Poco::Net::WebSocket>(*session, request, response);
        socket->setReceiveTimeout(Poco::Timespan(10, 0));
        socket->setSendTimeout(Poco::Timespan(10, 0));
    }

    struct Frame {
        int opcode = 0;
        std::string data;
        bool isClose() const { return opcode == Poco::Net::WebSocket::FRAME_OP_CLOSE; }
        // The status code of a close frame, or 0.
        int closeCode() const
        {
            if (!isClose() || data.size() < 2) return 0;
            return (static_cast<unsigned char>(data[0]) << 8) | static_cast<unsigned char>(data[1]);
        }
    };

    Frame receive()
    {
        Poco::Buffer<char> buffer(0);
        int flags = 0;
        const int n = socket->receiveFrame(buffer, flags);
        Frame f;
        f.opcode = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if (n > 0) f.data.assign(buffer.begin(), static_cast<size_t>(n));
        if (n == 0 && flags == 0) f.opcode = Poco::Net::WebSocket::FRAME_OP_CLOSE; // EOF without a close frame
        return f;
    }
    void sendText(const std::string& text)
    {
        socket->sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
    }
    void sendBinary(const std::string& bytes)
    {
        socket->sendFrame(bytes.data(), static_cast<int>(bytes.size()), Poco::Net::WebSocket::FRAME_BINARY);
    }
};

// The resident set size of a process in KiB, from /proc/PID/status (0 if unreadable).
inline long residentKiB(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

inline std::string testkitToken(const std::string& subject, const std::string& roles)
{
    return "Bearer test:" + subject + ":" + roles;
}

} // namespace vtp::test
