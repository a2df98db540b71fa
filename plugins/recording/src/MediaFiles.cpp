#include "MediaFiles.hpp"

#include <algorithm>

namespace vtp::recording::media {

namespace {

std::string_view extension(std::string_view name)
{
    const size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

} // namespace

bool safeName(std::string_view name)
{
    if (name.empty() || name.size() > 128 || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

std::string contentType(std::string_view name)
{
    const std::string_view ext = extension(name);
    if (ext == "m3u8") return "application/vnd.apple.mpegurl";
    if (ext == "mpd") return "application/dash+xml";
    if (ext == "mp4") return "video/mp4";
    if (ext == "m4s") return "video/iso.segment";
    if (ext == "m4a") return "audio/mp4";
    if (ext == "vtt") return "text/vtt; charset=utf-8";
    if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
    if (ext == "png") return "image/png";
    return "application/octet-stream";
}

bool isPlaylist(std::string_view name)
{
    const std::string_view ext = extension(name);
    return ext == "m3u8" || ext == "mpd" || ext == "vtt";
}

std::string downloadDisposition(std::string_view title)
{
    // filename=: what every browser understands; quotes, backslashes, control characters and
    // anything outside ASCII become '_', so the header stays one well-formed quoted string.
    std::string ascii;
    for (const char c : title) {
        const auto u = static_cast<unsigned char>(c);
        const bool keep = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == ' ' || u == '-' || u == '_' ||
                          u == '.' || u == ',' || u == '(' || u == ')';
        ascii += keep ? c : '_';
        if (ascii.size() >= 120) break;
    }
    // No leading or trailing dots and spaces (hidden files, names Windows refuses).
    const size_t first = ascii.find_first_not_of(" ._");
    ascii = first == std::string::npos ? std::string() : ascii.substr(first, ascii.find_last_not_of(" .") - first + 1);
    if (ascii.empty()) ascii = "recording";

    std::string out = "attachment; filename=\"" + ascii + ".mp4\"";
    const bool plain = std::all_of(title.begin(), title.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (plain) return out;
    // filename*= (RFC 8187), for a title beyond ASCII: as it is, each byte outside attr-char
    // percent-encoded; browsers prefer it to filename=.
    static const char* hex = "0123456789ABCDEF";
    std::string encoded;
    for (const char c : title) {
        const auto u = static_cast<unsigned char>(c);
        const bool attrChar = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '!' || u == '#' ||
                              u == '$' || u == '&' || u == '+' || u == '-' || u == '.' || u == '^' || u == '_' || u == '`' || u == '|' ||
                              u == '~';
        if (attrChar) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += hex[u >> 4];
            encoded += hex[u & 15];
        }
    }
    return out + "; filename*=UTF-8''" + encoded + ".mp4";
}

} // namespace vtp::recording::media
