#include "LlHls.hpp"

#include "PlaylistText.hpp"

#include <stdexcept>

namespace vtp::streaming {

namespace {

constexpr int64_t kMicros = 1000000;

void requireQuotable(const std::string& s, const char* what)
{
    if (!text::hlsQuotable(s)) throw std::invalid_argument(std::string(what) + " \"" + s + "\" cannot be written in a playlist");
}

} // namespace

LivePlaylist::LivePlaylist(LlHlsConfig config) : config_(std::move(config)), partTargetUs_(text::toMicros(config_.partTargetSeconds))
{
    if (config_.targetDurationSeconds < 1 || config_.targetDurationSeconds > 60)
        throw std::invalid_argument("the target duration is 1..60 s");
    if (partTargetUs_ < 100000 || partTargetUs_ > int64_t{config_.targetDurationSeconds} * kMicros)
        throw std::invalid_argument("the part target is 0.1 s..the target duration");
    // The spec keeps at least three target durations in a live playlist.
    if (!(config_.dvrWindowSeconds >= 3.0 * config_.targetDurationSeconds) || config_.dvrWindowSeconds > 7 * 86400.0)
        throw std::invalid_argument("the DVR window is 3 target durations..7 days");
    if (!config_.mapUri.empty()) requireQuotable(config_.mapUri, "the map URI");
    if (config_.firstMediaSequence > (uint64_t{1} << 62)) throw std::invalid_argument("the first media sequence number is too large");
    nextMsn_ = config_.firstMediaSequence;
    currentMap_ = config_.mapUri;
}

void LivePlaylist::checkWritable() const
{
    if (ended_) throw std::invalid_argument("the stream has ended");
}

Evicted LivePlaylist::addPart(const PartReport& part)
{
    requireQuotable(part.uri, "the part URI");
    const int64_t us = text::toMicros(part.durationSeconds);
    if (us <= 0 || us > partTargetUs_) throw std::invalid_argument("part " + part.uri + " does not last 0..PART-TARGET");
    std::unique_lock lock(mutex_);
    checkWritable();
    inProgress_.push_back(Part{us, part.independent, part.uri});
    if (preloadHint_ == part.uri) preloadHint_.clear(); // the hinted part exists now: no longer a hint
    Evicted out;
    dropOldParts(out);
    ++version_;
    return out;
}

Evicted LivePlaylist::finishSegment(const SegmentReport& segment)
{
    requireQuotable(segment.uri, "the segment URI");
    const int64_t us = text::toMicros(segment.durationSeconds);
    if (us <= 0 || (us + kMicros / 2) / kMicros > config_.targetDurationSeconds)
        throw std::invalid_argument("segment " + segment.uri + " does not last 0..EXT-X-TARGETDURATION");
    std::unique_lock lock(mutex_);
    checkWritable();
    Segment s;
    s.msn = nextMsn_;
    s.startUs = nextStartUs_;
    s.durationUs = us;
    s.pdtLine = "#EXT-X-PROGRAM-DATE-TIME:" + text::isoUtc(segment.programDateTimeMs) + "\n";
    s.tail = "#EXTINF:" + text::seconds(us, 5) + ",\n" + segment.uri + "\n";
    s.parts = std::move(inProgress_);
    s.uri = segment.uri;
    s.mapUri = currentMap_;
    s.discontinuity = pendingDiscontinuity_;
    pendingDiscontinuity_ = false;
    inProgress_.clear();
    segments_.push_back(std::move(s));
    ++nextMsn_;
    nextStartUs_ += us;

    Evicted out;
    const int64_t windowUs = text::toMicros(config_.dvrWindowSeconds);
    // Keep at least the window: the oldest segment goes only if the rest still covers it.
    while (segments_.size() > 1 && endUs() - segments_.front().startUs - segments_.front().durationUs >= windowUs) {
        auto& old = segments_.front();
        out.segmentUris.push_back(old.uri);
        for (auto& p : old.parts) out.partUris.push_back(std::move(p.uri));
        if (old.discontinuity) ++discontinuitySequence_;
        segments_.pop_front();
        if (partsFrom_ > 0) --partsFrom_;
    }
    dropOldParts(out);
    ++version_;
    return out;
}

void LivePlaylist::dropOldParts(Evicted& out)
{
    int64_t playlistEnd = endUs();
    for (const auto& p : inProgress_) playlistEnd += p.durationUs;
    const int64_t keepUs = 3 * int64_t{config_.targetDurationSeconds} * kMicros;
    while (partsFrom_ < segments_.size()) {
        auto& s = segments_[partsFrom_];
        if (playlistEnd - (s.startUs + s.durationUs) < keepUs) break;
        for (auto& p : s.parts) out.partUris.push_back(std::move(p.uri));
        s.parts.clear();
        s.parts.shrink_to_fit();
        ++partsFrom_;
    }
}

void LivePlaylist::setPreloadHint(const std::string& uri)
{
    if (!uri.empty()) requireQuotable(uri, "the preload hint URI");
    std::unique_lock lock(mutex_);
    checkWritable();
    if (preloadHint_ == uri) return;
    preloadHint_ = uri;
    ++version_;
}

Evicted LivePlaylist::discontinuity(const std::string& mapUri)
{
    if (!mapUri.empty()) requireQuotable(mapUri, "the map URI");
    std::unique_lock lock(mutex_);
    checkWritable();
    Evicted out;
    for (auto& p : inProgress_) out.partUris.push_back(std::move(p.uri));
    inProgress_.clear();
    preloadHint_.clear();
    currentMap_ = mapUri;
    // Two reconnects before a segment came make one new timeline, not two.
    pendingDiscontinuity_ = !segments_.empty() || pendingDiscontinuity_;
    ++version_;
    return out;
}

Evicted LivePlaylist::end()
{
    std::unique_lock lock(mutex_);
    Evicted out;
    if (ended_) return out;
    for (auto& p : inProgress_) out.partUris.push_back(std::move(p.uri));
    inProgress_.clear();
    preloadHint_.clear();
    ended_ = true;
    ++version_;
    return out;
}

int64_t LivePlaylist::endUs() const
{
    return nextStartUs_;
}

EdgeState LivePlaylist::edge() const
{
    std::shared_lock lock(mutex_);
    EdgeState e;
    e.firstMsn = segments_.empty() ? nextMsn_ : segments_.front().msn;
    e.nextMsn = nextMsn_;
    e.partsInProgress = static_cast<uint32_t>(inProgress_.size());
    // Parts of the last segment may have been dropped already (3 target durations ago): then 0.
    e.lastSegmentParts = segments_.empty() ? 0 : static_cast<uint32_t>(segments_.back().parts.size());
    e.nominalPartsPerSegment =
        static_cast<uint32_t>((int64_t{config_.targetDurationSeconds} * kMicros + partTargetUs_ - 1) / partTargetUs_);
    e.partTargetSeconds = config_.partTargetSeconds;
    e.ended = ended_;
    e.version = version_;
    return e;
}

double LivePlaylist::durationSeconds() const
{
    std::shared_lock lock(mutex_);
    return segments_.empty() ? 0.0 : static_cast<double>(endUs() - segments_.front().startUs) / kMicros;
}

std::shared_ptr<const std::string> LivePlaylist::render(bool skip) const
{
    skip = skip && config_.canSkip;
    std::shared_lock lock(mutex_);
    const uint64_t v = version_;
    {
        std::lock_guard c(cacheMutex_);
        if (cache_.version == v) {
            if (const auto& hit = skip ? cache_.delta : cache_.full) return hit;
        }
    }
    // Two readers may render the same version at once: the same text, and rarer than a lock.
    auto rendered = std::make_shared<const std::string>(renderLocked(skip));
    std::lock_guard c(cacheMutex_);
    if (cache_.version != v) cache_ = Cache{v, nullptr, nullptr};
    (skip ? cache_.delta : cache_.full) = rendered;
    return rendered;
}

void LivePlaylist::appendPart(std::string& out, const Part& p) const
{
    out += "#EXT-X-PART:DURATION=";
    out += text::seconds(p.durationUs, 5);
    out += ",URI=\"";
    out += p.uri;
    out += p.independent ? "\",INDEPENDENT=YES\n" : "\"\n";
}

std::string LivePlaylist::renderLocked(bool skip) const
{
    const int64_t td = int64_t{config_.targetDurationSeconds} * kMicros;
    std::string out;
    out.reserve(256 + segments_.size() * 96 + (segments_.size() - partsFrom_ + 1) * 8 * 64);
    // Version 9 for EXT-X-SKIP (and CAN-SKIP-UNTIL with it); 6 covers EXT-X-MAP and the LL tags.
    out += config_.canSkip ? "#EXTM3U\n#EXT-X-VERSION:9\n" : "#EXTM3U\n#EXT-X-VERSION:6\n";
    out += "#EXT-X-TARGETDURATION:" + std::to_string(config_.targetDurationSeconds) + "\n";
    out += "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES";
    if (config_.canSkip) out += ",CAN-SKIP-UNTIL=" + text::seconds(6 * td, 3);
    out += ",PART-HOLD-BACK=" + text::seconds(3 * partTargetUs_, 3) + "\n";
    out += "#EXT-X-PART-INF:PART-TARGET=" + text::seconds(partTargetUs_, 5) + "\n";
    out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(segments_.empty() ? nextMsn_ : segments_.front().msn) + "\n";
    if (discontinuitySequence_ > 0) out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuitySequence_) + "\n";

    size_t first = 0;
    if (skip) {
        // Only whole segments that end at least CAN-SKIP-UNTIL before the last one's end.
        while (first < segments_.size() && endUs() - (segments_[first].startUs + segments_[first].durationUs) >= 6 * td) ++first;
        if (first > 0) out += "#EXT-X-SKIP:SKIPPED-SEGMENTS=" + std::to_string(first) + "\n";
    }
    // After the skip, so that it applies to the segments that follow it in a delta update too;
    // again wherever a reconnect changed it.
    std::string map = first < segments_.size() ? segments_[first].mapUri : currentMap_;
    if (!map.empty()) out += "#EXT-X-MAP:URI=\"" + map + "\"\n";
    const auto startTimeline = [&](bool discontinuity, const std::string& mapUri) {
        if (discontinuity) out += "#EXT-X-DISCONTINUITY\n";
        if (mapUri != map && !mapUri.empty()) out += "#EXT-X-MAP:URI=\"" + mapUri + "\"\n";
        map = mapUri;
    };
    for (size_t i = first; i < segments_.size(); ++i) {
        const auto& s = segments_[i];
        startTimeline(s.discontinuity, s.mapUri);
        out += s.pdtLine;
        if (i >= partsFrom_)
            for (const auto& p : s.parts) appendPart(out, p);
        out += s.tail;
    }
    if (!inProgress_.empty()) startTimeline(pendingDiscontinuity_, currentMap_);
    for (const auto& p : inProgress_) appendPart(out, p);
    if (!ended_ && !preloadHint_.empty()) out += "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"" + preloadHint_ + "\"\n";
    if (ended_) out += "#EXT-X-ENDLIST\n";
    return out;
}

std::string renderMasterPlaylist(const MasterPlaylistSpec& spec)
{
    const auto streamInf = [](const VariantStream& v, const std::string& audioGroup) {
        requireQuotable(v.uri, "the variant URI");
        if (v.bandwidth <= 0 || v.averageBandwidth < 0) throw std::invalid_argument("variant " + v.uri + " needs a positive bandwidth");
        std::string s = "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bandwidth);
        if (v.averageBandwidth > 0) s += ",AVERAGE-BANDWIDTH=" + std::to_string(v.averageBandwidth);
        if (v.width > 0 && v.height > 0) s += ",RESOLUTION=" + std::to_string(v.width) + "x" + std::to_string(v.height);
        if (!v.codecs.empty()) {
            requireQuotable(v.codecs, "the codecs");
            s += ",CODECS=\"" + v.codecs + "\"";
        }
        if (v.frameRate > 0) s += ",FRAME-RATE=" + text::seconds(text::toMicros(v.frameRate), 3);
        if (!audioGroup.empty()) s += ",AUDIO=\"" + audioGroup + "\"";
        return s + "\n" + v.uri + "\n";
    };

    if (spec.variants.empty() && spec.audioOnly.uri.empty()) throw std::invalid_argument("a master playlist needs a variant");
    std::string out = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    std::string group;
    if (!spec.audio.uri.empty()) {
        const auto& a = spec.audio;
        requireQuotable(a.uri, "the audio URI");
        requireQuotable(a.groupId, "the audio group");
        requireQuotable(a.name, "the audio name");
        group = a.groupId;
        out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"" + a.groupId + "\",NAME=\"" + a.name + "\"";
        if (!a.language.empty()) {
            requireQuotable(a.language, "the audio language");
            out += ",LANGUAGE=\"" + a.language + "\"";
        }
        out += ",DEFAULT=YES,AUTOSELECT=YES";
        if (a.channels > 0) out += ",CHANNELS=\"" + std::to_string(a.channels) + "\"";
        out += ",URI=\"" + a.uri + "\"\n";
    }
    for (const auto& v : spec.variants) out += streamInf(v, group);
    // The audio-only variant carries its audio itself: no AUDIO group, so players list it apart.
    if (!spec.audioOnly.uri.empty()) out += streamInf(spec.audioOnly, {});
    return out;
}

} // namespace vtp::streaming
