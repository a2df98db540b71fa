#include "IngestUrls.hpp"

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

} // namespace vtp::streaming
