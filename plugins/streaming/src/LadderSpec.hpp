#pragma once

// The adaptive ladder as operators write it in config ("1080:5000": a rung 1080 pixels high at
// 5000 kbit/s of video), parsed and checked. Pure C++, unit-tested alone.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::streaming {

struct Rung {
    int height = 0;    // pixels; the width follows the source's aspect ratio
    int videoKbps = 0; // target (average) video bitrate
    std::string name;  // "720p"
};

// Parses each "HEIGHT:KBPS" (HEIGHT 144..4320, even; KBPS 50..100000), highest first, no height
// twice. Throws std::invalid_argument naming the entry at fault.
std::vector<Rung> parseLadder(const std::vector<std::string>& entries);

} // namespace vtp::streaming
