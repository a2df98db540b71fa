#pragma once

// What the WebSocket server needs from libwebsockets around its own logic: the route from lws's
// process-wide log hook to our Loggers, and copying a request's path, query, headers and peer out of
// a wsi. Kept apart from WsServer so the shards' code reads as the server's behaviour, not lws's API.

#include <libwebsockets.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

class Logger;

namespace ws {

// lws has a single process-wide log hook without a user pointer, so the route to our Loggers has to be
// process state. The most recently started server's Logger receives lws's own messages.
class LwsLogRoute {
public:
    static LwsLogRoute& instance();
    void attach(Logger* logger);
    void detach(Logger* logger);

private:
    static void emit(int level, const char* line);

    std::mutex mutex_;
    std::vector<Logger*> loggers_;
};

// An endpoint's key: the path without trailing slashes ("/x/" is "/x").
std::string normalizePath(std::string_view path);
// A close code a server may send (1000 for any other), and a reason that fits a close frame.
int sanitizeCloseCode(int code);
std::string truncateReason(std::string_view reason);

std::string copyHeader(lws* wsi, lws_token_indexes token);
// lws splits the query into arguments and URL-decodes them; re-encode so callers get a query string
// that decodes to the same name/value pairs.
std::string copyQuery(lws* wsi);
std::map<std::string, std::string> copyHeaders(lws* wsi); // lower-case names
std::string peerAddress(lws* wsi);

// lws keeps the request target under a token named for the method.
struct MethodToken {
    const char* method;
    lws_token_indexes token;
};
std::optional<MethodToken> requestMethod(lws* wsi);

std::string lowerCase(std::string_view text);
// Framing headers belong to the server: a plugin's would contradict the ones written for it.
bool isServerHeader(std::string_view lowerName);
// True if a Connection header value lists the "close" option (RFC 9112 section 9.6).
bool asksToClose(std::string_view value);

} // namespace ws
} // namespace vtp::kernel
