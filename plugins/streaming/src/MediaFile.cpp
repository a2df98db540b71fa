#include "MediaFile.hpp"

#include <charconv>

namespace vtp::streaming {

namespace {

// Digits only (no sign), at most 9 of them: a representation or segment number.
template <typename T>
std::optional<T> number(std::string_view s)
{
    if (s.empty() || s.size() > 9) return std::nullopt;
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.front() == '-' || s.front() == '+') return std::nullopt;
    return v;
}

bool cut(std::string_view& s, std::string_view prefix)
{
    if (!s.starts_with(prefix)) return false;
    s.remove_prefix(prefix.size());
    return true;
}

bool cutSuffix(std::string_view& s, std::string_view suffix)
{
    if (!s.ends_with(suffix)) return false;
    s.remove_suffix(suffix.size());
    return true;
}

} // namespace

MediaFile parseMediaFile(std::string_view name)
{
    MediaFile f;
    f.ladder = cut(name, "abr-");
    if (name.ends_with(".m3u8") || name.ends_with(".mpd")) f.type = MediaFile::Type::Manifest;
    std::string_view rest = name;
    if (cut(rest, "media_") && cutSuffix(rest, ".m3u8")) {
        f.representation = number<int>(rest);
    } else if (rest = name; cut(rest, "init-") && cutSuffix(rest, ".mp4")) {
        f.representation = number<int>(rest);
        if (f.representation) f.type = MediaFile::Type::Init;
    } else if (rest = name; cut(rest, "seg-") && (cutSuffix(rest, ".m4s") || cutSuffix(rest, ".mp4"))) {
        const size_t dash = rest.find('-');
        if (dash != std::string_view::npos) {
            const auto representation = number<int>(rest.substr(0, dash));
            const auto n = number<int64_t>(rest.substr(dash + 1));
            if (representation && n) {
                f.type = MediaFile::Type::Segment;
                f.representation = representation;
                f.number = n;
            }
        }
    }
    return f;
}

} // namespace vtp::streaming
