#include "LiveNames.hpp"

#include "HlsParams.hpp"

#include <charconv>

namespace vtp::streaming {

namespace {

bool digits(std::string_view s, uint64_t max, uint64_t& out)
{
    if (s.empty() || s.size() > 13) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out <= max;
}

bool consume(std::string_view& s, std::string_view prefix)
{
    if (s.substr(0, prefix.size()) != prefix) return false;
    s.remove_prefix(prefix.size());
    return true;
}

bool consumeSuffix(std::string_view& s, std::string_view suffix)
{
    if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
    s.remove_suffix(suffix.size());
    return true;
}

} // namespace

bool validRenditionName(std::string_view name)
{
    if (name.empty() || name.size() > 16) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

std::optional<MediaName> parseMediaName(std::string_view file)
{
    MediaName m;
    if (consume(file, "init-") && consumeSuffix(file, ".mp4")) {
        m.kind = MediaName::Kind::Init;
        if (!digits(file, 1000000000, m.number)) return std::nullopt;
        return m;
    }
    if (!consumeSuffix(file, ".m4s")) return std::nullopt;
    if (consume(file, "seg-")) {
        m.kind = MediaName::Kind::Segment;
        if (!digits(file, kMaxMsn, m.number)) return std::nullopt;
        return m;
    }
    if (!consume(file, "part-")) return std::nullopt;
    m.kind = MediaName::Kind::Part;
    const size_t dash = file.find('-');
    uint64_t part = 0;
    if (dash == std::string_view::npos || !digits(file.substr(0, dash), kMaxMsn, m.number) ||
        !digits(file.substr(dash + 1), kMaxPart, part))
        return std::nullopt;
    m.part = static_cast<uint32_t>(part);
    return m;
}

std::string mediaName(const MediaName& name)
{
    switch (name.kind) {
    case MediaName::Kind::Init: return "init-" + std::to_string(name.number) + ".mp4";
    case MediaName::Kind::Part: return "part-" + std::to_string(name.number) + "-" + std::to_string(name.part) + ".m4s";
    case MediaName::Kind::Segment: break;
    }
    return "seg-" + std::to_string(name.number) + ".m4s";
}

std::optional<std::string> playlistRendition(std::string_view file)
{
    if (!consumeSuffix(file, ".m3u8") || !validRenditionName(file)) return std::nullopt;
    return std::string(file);
}

} // namespace vtp::streaming
