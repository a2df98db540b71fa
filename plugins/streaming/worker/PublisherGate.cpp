#include "PublisherGate.hpp"

#include "IngestOptions.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <chrono>
#include <cstdio>
#include <cstring>

namespace vtp::streaming::ingest {

namespace {

// FFmpeg 5.1's texts (rtmpproto.c send_invoke_response, libsrt.c libsrt_listen).
constexpr const char* kRtmpName = "Unexpected stream %s, expecting %s\n";
constexpr const char* kSrtStreamId = "accept streamid [%s], length %d\n";
constexpr const char* kRtmpHandshakeDone = "Proto = %s, path = %s, app = %s, fname = %s\n";

// av_log_set_callback takes no context: the one gate of the process.
PublisherGate* gateInstance = nullptr;

// Compares without stopping at the first difference, so that timing tells nothing of the key.
bool sameKey(const std::string& a, const char* b)
{
    const size_t n = std::strlen(b);
    unsigned diff = a.size() != n ? 1u : 0u;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(i < n ? b[i] : 0);
    return diff == 0;
}

} // namespace

PublisherGate& PublisherGate::install()
{
    static PublisherGate gate;
    gateInstance = &gate;
    av_log_set_callback(&PublisherGate::logCallback);
    return gate;
}

void PublisherGate::expect(const std::string& key)
{
    std::lock_guard lock(mutex_);
    key_ = key;
    verdict_ = Verdict::None;
    connectedAtMs_ = 0;
}

void PublisherGate::seen(const char* name)
{
    std::lock_guard lock(mutex_);
    const bool ok = name != nullptr && sameKey(key_, name);
    // One wrong name on a connection refuses it, whatever comes after.
    if (!ok)
        verdict_ = Verdict::Refused;
    else if (verdict_ == Verdict::None)
        verdict_ = Verdict::Accepted;
}

void PublisherGate::logCallback(void* avcl, int level, const char* fmt, va_list args)
{
    if (fmt != nullptr && gateInstance && (std::strcmp(fmt, kRtmpHandshakeDone) == 0 || std::strcmp(fmt, kSrtStreamId) == 0))
        gateInstance->connectedAtMs_ =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (fmt != nullptr && (std::strcmp(fmt, kRtmpName) == 0 || std::strcmp(fmt, kSrtStreamId) == 0)) {
        va_list copy;
        va_copy(copy, args);
        const char* name = va_arg(copy, const char*); // the first %s: what the publisher sent
        va_end(copy);
        // An SRT streamid may carry the key in SRT's access-control form (the plugin's ingest URLs).
        if (gateInstance && name && std::strcmp(fmt, kSrtStreamId) == 0)
            gateInstance->seen(srtStreamIdKey(name).c_str());
        else if (gateInstance)
            gateInstance->seen(name);
        return; // never printed: it holds a key
    }
    if (level > AV_LOG_WARNING) return;
    // The rest goes to standard error (the plugin keeps it for operators).
    char line[1024];
    int prefix = 1;
    va_list copy;
    va_copy(copy, args);
    av_log_format_line(avcl, level, fmt, copy, line, sizeof line, &prefix);
    va_end(copy);
    std::fputs(line, stderr);
}

} // namespace vtp::streaming::ingest
