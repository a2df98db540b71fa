#include "LlDash.hpp"

#include "PlaylistText.hpp"

#include <numeric>
#include <stdexcept>

namespace vtp::streaming {

namespace {

std::string attr(const char* name, const std::string& value)
{
    return std::string(" ") + name + "=\"" + text::xmlAttr(value) + "\"";
}

// A decimal with up to 6 fraction digits and no trailing zeros.
std::string decimal(double v)
{
    std::string s = text::seconds(text::toMicros(v), 6);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

// DASH's FrameRateType is an integer or a ratio, never a decimal: 25 -> "25", 29.97 -> "2997/100".
std::string frameRate(double fps)
{
    const int64_t n = text::toMicros(fps) / 1000, g = std::gcd(n, int64_t{1000});
    return g == 1000 ? std::to_string(n / 1000) : std::to_string(n / g) + "/" + std::to_string(1000 / g);
}

} // namespace

std::string renderLlDashMpd(const LlDashSpec& spec)
{
    const int64_t segUs = text::toMicros(spec.segmentSeconds), partUs = text::toMicros(spec.partSeconds);
    if (segUs <= 0 || partUs <= 0 || partUs > segUs) throw std::invalid_argument("the part duration is 0..the segment duration");
    if (spec.adaptationSets.empty()) throw std::invalid_argument("an MPD needs an adaptation set");
    if (spec.utcTimingUrl.empty()) throw std::invalid_argument("low-latency DASH needs a UTC timing URL");
    if (!(spec.minLatencySeconds <= spec.targetLatencySeconds && spec.targetLatencySeconds <= spec.maxLatencySeconds))
        throw std::invalid_argument("the latencies are not min <= target <= max");

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"dynamic\"";
    out += attr("availabilityStartTime", text::isoUtc(spec.availabilityStartTimeMs));
    out += attr("publishTime", text::isoUtc(spec.publishTimeMs));
    // The template never changes while live: the MPD needs refreshing only as rarely as a segment.
    out += attr("minimumUpdatePeriod", text::isoDuration(segUs));
    out += attr("minBufferTime", text::isoDuration(partUs));
    out += attr("maxSegmentDuration", text::isoDuration(segUs));
    out += attr("timeShiftBufferDepth", text::isoDuration(text::toMicros(spec.dvrWindowSeconds)));
    out += ">\n";
    out += "  <ServiceDescription id=\"0\">\n";
    out += "    <Latency" + attr("min", std::to_string(text::toMicros(spec.minLatencySeconds) / 1000)) +
           attr("max", std::to_string(text::toMicros(spec.maxLatencySeconds) / 1000)) +
           attr("target", std::to_string(text::toMicros(spec.targetLatencySeconds) / 1000)) + " referenceId=\"0\"/>\n";
    out += "    <PlaybackRate min=\"0.96\" max=\"1.04\"/>\n";
    out += "  </ServiceDescription>\n";
    out += "  <Period id=\"0\" start=\"PT0S\">\n";
    int setId = 0;
    for (const auto& set : spec.adaptationSets) {
        if (set.representations.empty()) throw std::invalid_argument("adaptation set " + set.contentType + " has no representation");
        out += "    <AdaptationSet" + attr("id", std::to_string(setId++)) + attr("contentType", set.contentType) +
               attr("mimeType", set.mimeType) + " segmentAlignment=\"true\" startWithSAP=\"1\"";
        if (!set.language.empty()) out += attr("lang", set.language);
        out += ">\n";
        // A segment is announced once its first part exists: it may be fetched that much early,
        // and its bytes keep arriving (chunked) until it is complete.
        out += "      <SegmentTemplate timescale=\"1000000\"" + attr("duration", std::to_string(segUs)) +
               attr("startNumber", std::to_string(spec.startNumber)) + attr("initialization", set.initialization) +
               attr("media", set.media) + attr("availabilityTimeOffset", decimal(static_cast<double>(segUs - partUs) / 1e6)) +
               " availabilityTimeComplete=\"false\"/>\n";
        for (const auto& r : set.representations) {
            if (r.id.empty() || r.bandwidth <= 0) throw std::invalid_argument("a representation needs an id and a bandwidth");
            out += "      <Representation" + attr("id", r.id) + attr("bandwidth", std::to_string(r.bandwidth));
            if (!r.codecs.empty()) out += attr("codecs", r.codecs);
            if (r.width > 0 && r.height > 0) out += attr("width", std::to_string(r.width)) + attr("height", std::to_string(r.height));
            if (r.frameRate > 0) out += attr("frameRate", frameRate(r.frameRate));
            if (r.audioSamplingRate > 0) out += attr("audioSamplingRate", std::to_string(r.audioSamplingRate));
            out += "/>\n";
        }
        out += "    </AdaptationSet>\n";
    }
    out += "  </Period>\n";
    out += "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\"" + attr("value", spec.utcTimingUrl) + "/>\n";
    out += "</MPD>\n";
    return out;
}

} // namespace vtp::streaming
