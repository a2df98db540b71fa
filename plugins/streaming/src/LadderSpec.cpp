#include "LadderSpec.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace vtp::streaming {

namespace {

bool number(std::string_view s, int lo, int hi, int& out)
{
    if (s.empty() || s.size() > 6) return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out >= lo && out <= hi;
}

} // namespace

std::vector<Rung> parseLadder(const std::vector<std::string>& entries)
{
    if (entries.empty()) throw std::invalid_argument("the ladder needs at least one rung");
    if (entries.size() > 8) throw std::invalid_argument("the ladder has more than 8 rungs");
    std::vector<Rung> rungs;
    for (const auto& e : entries) {
        const auto colon = e.find(':');
        Rung r;
        if (colon == std::string::npos || !number(std::string_view(e).substr(0, colon), 144, 4320, r.height) || r.height % 2 != 0 ||
            !number(std::string_view(e).substr(colon + 1), 50, 100000, r.videoKbps))
            throw std::invalid_argument("ladder rung \"" + e + "\" is not HEIGHT:KBPS (an even height 144..4320, 50..100000 kbit/s)");
        r.name = std::to_string(r.height) + "p";
        for (const auto& other : rungs)
            if (other.height == r.height) throw std::invalid_argument("ladder rung " + r.name + " is listed twice");
        rungs.push_back(r);
    }
    std::sort(rungs.begin(), rungs.end(), [](const Rung& a, const Rung& b) { return a.height > b.height; });
    return rungs;
}

} // namespace vtp::streaming
