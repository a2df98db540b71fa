#include "IngestUrls.hpp"

#include <charconv>

namespace vtp::streaming {

std::string percentEncode(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string rtmpIngestUrl(std::string_view base, std::string_view key)
{
    // "rtmp://host/live/" and "rtmp://host/live" name the same application.
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    return std::string(base) + "/" + percentEncode(key);
}

std::string srtIngestUrl(std::string_view base, std::string_view key)
{
    const char separator = base.find('?') == std::string_view::npos ? '?' : '&';
    return std::string(base) + separator + "streamid=" + percentEncode("#!::r=live/" + std::string(key) + ",m=publish");
}

namespace {

// Where BASE's authority (host[:port]) lies: after "scheme://", up to '/', '?' or '#'.
std::pair<size_t, size_t> authority(std::string_view base)
{
    const size_t scheme = base.find("://");
    const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const size_t end = std::min(base.find_first_of("/?#", start), base.size());
    return {start, end};
}

} // namespace

std::string withPort(std::string_view base, int port)
{
    const auto [start, end] = authority(base);
    std::string_view host = base.substr(start, end - start);
    // The port is after the last ':' unless that ':' is inside an IPv6 literal's brackets.
    const size_t colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) host = host.substr(0, colon);
    return std::string(base.substr(0, start)) + std::string(host) + ":" + std::to_string(port) + std::string(base.substr(end));
}

std::string rtmpApplication(std::string_view base)
{
    const auto [start, end] = authority(base);
    std::string_view path = base.substr(end);
    path = path.substr(0, std::min(path.find_first_of("?#"), path.size()));
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return std::string(path);
}

std::optional<PortRange> parsePortRange(std::string_view text)
{
    const auto number = [](std::string_view s, int& out) {
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc() && end == s.data() + s.size() && out >= 1 && out <= 65535;
    };
    PortRange r;
    const size_t dash = text.find('-');
    if (!number(text.substr(0, dash), r.first)) return std::nullopt;
    r.last = r.first;
    if (dash != std::string_view::npos && !number(text.substr(dash + 1), r.last)) return std::nullopt;
    if (r.last < r.first) return std::nullopt;
    return r;
}

} // namespace vtp::streaming
