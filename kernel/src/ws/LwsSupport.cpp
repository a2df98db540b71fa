#include "ws/LwsSupport.hpp"

#include "log/Logger.hpp"

#include <algorithm>
#include <cctype>

namespace vtp::kernel::ws {

namespace {

constexpr size_t kMaxCloseReasonBytes = 123; // a control frame carries 125 bytes, 2 are the code

bool isUnreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void appendPercentEncoded(std::string& out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if (isUnreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0x0f];
        }
    }
}

constexpr MethodToken kMethodTokens[] = {
    {"GET", WSI_TOKEN_GET_URI},     {"POST", WSI_TOKEN_POST_URI},     {"OPTIONS", WSI_TOKEN_OPTIONS_URI}, {"PUT", WSI_TOKEN_PUT_URI},
    {"PATCH", WSI_TOKEN_PATCH_URI}, {"DELETE", WSI_TOKEN_DELETE_URI}, {"HEAD", WSI_TOKEN_HEAD_URI},
};

} // namespace

LwsLogRoute& LwsLogRoute::instance()
{
    static LwsLogRoute route;
    return route;
}

void LwsLogRoute::attach(Logger* logger)
{
    std::lock_guard lock(mutex_);
    loggers_.push_back(logger);
    // No notices: lws's libev glue logs one for every change of a descriptor's events.
    lws_set_log_level(LLL_ERR | LLL_WARN, &LwsLogRoute::emit);
}

void LwsLogRoute::detach(Logger* logger)
{
    std::lock_guard lock(mutex_);
    auto it = std::find(loggers_.rbegin(), loggers_.rend(), logger);
    if (it != loggers_.rend()) loggers_.erase(std::next(it).base());
}

void LwsLogRoute::emit(int level, const char* line)
{
    std::string_view text(line ? line : "");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    LogLevel ours = level & LLL_ERR ? LogLevel::Error : level & LLL_WARN ? LogLevel::Warn : LogLevel::Debug;
    auto& route = instance();
    std::lock_guard lock(route.mutex_);
    if (!route.loggers_.empty()) route.loggers_.back()->log(ours, "ws.lws", text);
}

std::string normalizePath(std::string_view path)
{
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    return std::string(path);
}

int sanitizeCloseCode(int code)
{
    bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    return sendable ? code : 1000;
}

std::string truncateReason(std::string_view reason)
{
    if (reason.size() <= kMaxCloseReasonBytes) return std::string(reason);
    size_t cut = kMaxCloseReasonBytes;
    // Never cut a UTF-8 sequence in half: the peer must reject an invalid close reason.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    return std::string(reason.substr(0, cut));
}

std::string copyHeader(lws* wsi, lws_token_indexes token)
{
    int total = lws_hdr_total_length(wsi, token);
    if (total <= 0) return {};
    // lws_hdr_copy inserts a separator between repeated headers: room for one per byte at worst.
    std::vector<char> buffer(static_cast<size_t>(total) * 2 + 2);
    int n = lws_hdr_copy(wsi, buffer.data(), static_cast<int>(buffer.size()), token);
    return n > 0 ? std::string(buffer.data()) : std::string();
}

std::string copyQuery(lws* wsi)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0) return {};
    std::vector<char> buffer(static_cast<size_t>(total) + 1);
    std::string query;
    for (int index = 0;; ++index) {
        int n = lws_hdr_copy_fragment(wsi, buffer.data(), static_cast<int>(buffer.size()), WSI_TOKEN_HTTP_URI_ARGS, index);
        if (n < 0) break;
        if (n == 0) continue;
        std::string_view argument(buffer.data(), static_cast<size_t>(n));
        if (!query.empty()) query += '&';
        auto equals = argument.find('=');
        appendPercentEncoded(query, argument.substr(0, equals));
        if (equals != std::string_view::npos) {
            query += '=';
            appendPercentEncoded(query, argument.substr(equals + 1));
        }
    }
    return query;
}

std::map<std::string, std::string> copyHeaders(lws* wsi)
{
    std::map<std::string, std::string> headers;
    for (int index = 0; index < WSI_TOKEN_COUNT; ++index) {
        auto token = static_cast<lws_token_indexes>(index);
        if (token == WSI_TOKEN_HTTP_URI_ARGS || lws_hdr_total_length(wsi, token) <= 0) continue;
        const auto* raw = reinterpret_cast<const char*>(lws_token_to_string(token));
        if (!raw) continue;
        std::string name(raw);
        // Request-line pseudo tokens ("get ", ":path") are not headers.
        if (name.size() < 2 || name.front() == ':' || name.back() != ':') continue;
        name.pop_back();
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
        headers[name] = copyHeader(wsi, token);
    }
    return headers;
}

std::string peerAddress(lws* wsi)
{
    char buffer[128] = {};
    const char* peer = lws_get_peer_simple(wsi, buffer, sizeof(buffer));
    std::string_view address(peer ? peer : "");
    constexpr std::string_view kMappedV4 = "::ffff:";
    if (address.substr(0, kMappedV4.size()) == kMappedV4 && address.find('.') != std::string_view::npos)
        address.remove_prefix(kMappedV4.size());
    return std::string(address);
}

std::optional<MethodToken> requestMethod(lws* wsi)
{
    for (const MethodToken& candidate : kMethodTokens)
        if (lws_hdr_total_length(wsi, candidate.token) > 0) return candidate;
    return std::nullopt;
}

std::string lowerCase(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

bool isServerHeader(std::string_view lowerName)
{
    return lowerName == "content-length" || lowerName == "transfer-encoding" || lowerName == "connection";
}

bool asksToClose(std::string_view value)
{
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view option = value.substr(0, comma);
        while (!option.empty() && (option.front() == ' ' || option.front() == '\t')) option.remove_prefix(1);
        while (!option.empty() && (option.back() == ' ' || option.back() == '\t')) option.remove_suffix(1);
        if (option.size() == 5 && std::equal(option.begin(), option.end(), "close",
                                             [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
            return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace vtp::kernel::ws
