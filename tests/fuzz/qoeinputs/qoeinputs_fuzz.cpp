// Fuzzes what clients send the streaming plugin's stream analytics besides CMCD: the `from` and
// `to` arguments of the QoE reports and the media file names players request, and the watched
// ranges those names become. Nothing may crash; a parsed instant lies in the years 1970..9999; a
// segment has a rendition and a number; the watched ranges stay sorted, disjoint and bounded.
#include "Instants.hpp"
#include "MediaFile.hpp"
#include "PlaybackProgress.hpp"

#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string_view>

using namespace vtp::streaming;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto at = parseInstant(text); at && (at->seconds < 0 || at->seconds > 253402300799)) std::abort();

    PlaybackProgress progress(30000, 8);
    size_t start = 0;
    for (int64_t t = 0; start <= text.size(); t += 1000) {
        const size_t end = std::min(text.find('\n', start), text.size());
        const MediaFile f = parseMediaFile(text.substr(start, end - start));
        if (f.type == MediaFile::Type::Segment) {
            if (!f.representation || !f.number || *f.number < 0) std::abort();
            progress.watched(t, static_cast<double>(*f.number - 1) * 2.0, static_cast<double>(*f.number) * 2.0);
        }
        start = end + 1;
    }
    const auto& r = progress.ranges();
    if (r.size() > 8) std::abort();
    for (size_t i = 0; i < r.size(); ++i) {
        if (!(r[i].first < r[i].second)) std::abort();
        if (i > 0 && !(r[i - 1].second < r[i].first)) std::abort();
    }
    return 0;
}
