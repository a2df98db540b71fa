#pragma once

// Who may publish: the stream key check, done where FFmpeg 5.1 lets an application see the name a
// publisher presents. Neither listener checks it itself:
// - RTMP (libavformat/rtmpproto.c, listen mode): a FCPublish or publish whose stream name differs
//   from the URL's last path element is only logged ("Unexpected stream %s, expecting %s") and
//   accepted; a client sending play instead of publish is never compared at all. So the worker
//   listens under a name no key can equal (kRtmpListenName): every publish then logs the name
//   it carried, and only a logged name equal to the key counts as proof. No such line (a play,
//   no publish at all) is no proof.
// - SRT (libavformat/libsrt.c): the caller's streamid is read after srt_accept and only logged
//   ("accept streamid [%s], length %d"); the connection is already accepted by then.
// A client that completes the RTMP handshake but never publishes (a player, say) would hold the
// one-connection listener as long as it likes: the handshake's end is logged too ("Proto = ..."),
// and from then the session gives the client a deadline to present its key.
// Those lines are read from FFmpeg's log callback (which sees every message, whatever the level)
// and never printed: they carry keys. If a later FFmpeg words them differently, nothing proves a
// key and every publisher is refused (closed, not open): IngestWorkerTest fails on it.

#include <atomic>
#include <cstdarg>
#include <mutex>
#include <string>

namespace vtp::streaming::ingest {

inline constexpr const char* kRtmpListenName = "vtp-listener-checks-the-key";

class PublisherGate {
public:
    enum class Verdict { None, Accepted, Refused };

    // Installs the FFmpeg log callback that feeds the gate; call once, before any FFmpeg call.
    static PublisherGate& install();

    // Starts a new connection attempt expecting `key`.
    void expect(const std::string& key);
    // What the current attempt has shown: Accepted only when every name seen was the key.
    Verdict verdict() const { return verdict_.load(); }
    // When (steady clock, ms) the current attempt's client finished its handshake; 0 before.
    int64_t connectedAtMs() const { return connectedAtMs_.load(); }

private:
    static void logCallback(void* avcl, int level, const char* fmt, va_list args);
    void seen(const char* name);

    std::mutex mutex_;
    std::string key_;
    std::atomic<Verdict> verdict_{Verdict::None};
    std::atomic<int64_t> connectedAtMs_{0};
};

} // namespace vtp::streaming::ingest
