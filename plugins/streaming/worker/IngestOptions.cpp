#include "IngestOptions.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace vtp::streaming::ingest {

namespace {

bool parseInt(const std::string& s, long long min, long long max, long long& out)
{
    long long v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return false;
    out = v;
    return true;
}

// HOST:PORT at the start of `rest` (up to `stop`); HOST is a name or a dotted IPv4 address.
std::string parseHostPort(const std::string& hostPort, ListenTarget& out)
{
    const auto colon = hostPort.rfind(':');
    if (colon == std::string::npos || colon == 0) return "the listen URL needs HOST:PORT";
    out.host = hostPort.substr(0, colon);
    for (const char c : out.host)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
            return "the listen URL's host is not a name or an IPv4 address";
    long long port = 0;
    if (!parseInt(hostPort.substr(colon + 1), 1, 65535, port)) return "the listen URL's port is not 1 to 65535";
    out.port = static_cast<uint16_t>(port);
    return {};
}

} // namespace

bool validStreamKey(const std::string& key)
{
    return !key.empty() && key.size() <= 63 &&
           std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

namespace {

// "%23%21..." as sent by callers that pass a URL's query value on without decoding it (FFmpeg
// 5.1's libsrt): decoded; anything that is not valid percent-encoding is left as it is.
std::string percentDecoded(const std::string& s)
{
    const auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return s;
        out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
        i += 2;
    }
    return out;
}

} // namespace

std::string srtStreamIdKey(const std::string& presented)
{
    static constexpr std::string_view kAccessControl = "#!::";
    const std::string streamId = presented.rfind("%23", 0) == 0 ? percentDecoded(presented) : presented;
    if (streamId.rfind(kAccessControl, 0) != 0) return streamId;
    std::string resource;
    bool haveResource = false;
    size_t pos = kAccessControl.size();
    while (pos <= streamId.size()) {
        const size_t comma = std::min(streamId.find(',', pos), streamId.size());
        const std::string item = streamId.substr(pos, comma - pos);
        pos = comma + 1;
        const auto eq = item.find('=');
        if (eq == std::string::npos) return {};
        const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
        if (name == "m" && value != "publish") return {};
        if (name == "r") {
            if (haveResource) return {}; // a second resource: which one would be meant?
            resource = value;
            haveResource = true;
        }
    }
    const auto slash = resource.rfind('/');
    return slash == std::string::npos ? resource : resource.substr(slash + 1);
}

std::string parseListenUrl(const std::string& url, ListenTarget& out)
{
    out = ListenTarget{};
    if (url.rfind("rtmp://", 0) == 0) {
        out.protocol = Protocol::Rtmp;
        const std::string rest = url.substr(7);
        const auto slash = rest.find('/');
        if (slash == std::string::npos) return "an RTMP listen URL is rtmp://HOST:PORT/APP/KEY";
        if (auto why = parseHostPort(rest.substr(0, slash), out); !why.empty()) return why;
        const std::string path = rest.substr(slash + 1);
        const auto last = path.rfind('/');
        if (last == std::string::npos || last == 0) return "an RTMP listen URL is rtmp://HOST:PORT/APP/KEY";
        out.app = path.substr(0, last);
        out.key = path.substr(last + 1);
        if (!validStreamKey(out.app)) return "the RTMP application name is 1 to 63 characters of A-Z a-z 0-9 _ -";
    } else if (url.rfind("srt://", 0) == 0) {
        out.protocol = Protocol::Srt;
        const std::string rest = url.substr(6);
        const auto q = rest.find('?');
        if (auto why = parseHostPort(rest.substr(0, q), out); !why.empty()) return why;
        bool listener = false;
        std::set<std::string> seen;
        std::string query = q == std::string::npos ? std::string() : rest.substr(q + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const std::string item = query.substr(0, amp);
            query = amp == std::string::npos ? std::string() : query.substr(amp + 1);
            const auto eq = item.find('=');
            const std::string name = item.substr(0, eq), value = eq == std::string::npos ? std::string() : item.substr(eq + 1);
            if (!seen.insert(name).second) return "the SRT listen URL names " + name + " twice";
            if (name == "mode") {
                if (value != "listener") return "the SRT listen URL needs mode=listener";
                listener = true;
            } else if (name == "streamid") {
                out.key = value;
            } else if (name == "latency" || name == "passphrase") {
                out.srtOptions.emplace_back(name, value);
            } else {
                return "the SRT listen URL has an option this worker does not pass on: " + name;
            }
        }
        if (!listener) return "the SRT listen URL needs mode=listener";
    } else {
        return "the listen URL is rtmp://... or srt://...";
    }
    if (!validStreamKey(out.key)) return "the stream key is 1 to 63 characters of A-Z a-z 0-9 _ -";
    return {};
}

std::string parseCommandLine(int argc, const char* const* argv, IngestOptions& o)
{
    bool haveListen = false, haveIdle = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return a + " needs a value";
        const std::string v = argv[++i];
        long long n = 0;
        auto number = [&](long long min, long long max, int& field) {
            if (!parseInt(v, min, max, n)) return a + " needs a whole number from " + std::to_string(min) + " to " + std::to_string(max);
            field = static_cast<int>(n);
            return std::string();
        };
        std::string why;
        if (a == "--listen") {
            why = parseListenUrl(v, o.listen);
            haveListen = true;
        } else if (a == "--out-dir") {
            o.outDir = v;
        } else if (a == "--archive-dir") {
            if (v.empty() || v.front() != '/') return "--archive-dir is an absolute path";
            o.archiveDir = v;
        } else if (a == "--rung") {
            const auto colon = v.find(':');
            long long h = 0, k = 0;
            if (colon == std::string::npos || !parseInt(v.substr(0, colon), 144, 2160, h) || !parseInt(v.substr(colon + 1), 64, 50000, k))
                return "--rung is HEIGHT:KBPS (height 144 to 2160, 64 to 50000 kb/s)";
            if (h % 2 != 0) return "--rung heights are even";
            o.rungs.push_back({static_cast<int>(h), static_cast<int>(k)});
        } else if (a == "--audio-kbps") {
            why = number(32, 512, o.audioKbps);
        } else if (a == "--segment-ms") {
            why = number(500, 10000, o.segmentMs);
        } else if (a == "--part-ms") {
            why = number(100, 10000, o.partMs);
        } else if (a == "--preset") {
            static const std::set<std::string> presets{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium"};
            if (!presets.count(v)) return "--preset is one of ultrafast, superfast, veryfast, faster, fast, medium";
            o.preset = v;
        } else if (a == "--idle-timeout-ms") {
            why = number(100, 86400000, o.idleTimeoutMs);
            haveIdle = true;
        } else if (a == "--stall-timeout-ms") {
            why = number(500, 600000, o.stallTimeoutMs);
        } else if (a == "--max-width") {
            why = number(16, 8192, o.maxWidth);
        } else if (a == "--max-height") {
            why = number(16, 8192, o.maxHeight);
        } else if (a == "--max-input-kbps") {
            why = number(100, 1000000, o.maxInputKbps);
        } else if (a == "--max-fps") {
            why = number(1, 240, o.maxFps);
        } else {
            return "unknown option " + a;
        }
        if (!why.empty()) return why;
    }
    if (!haveListen || o.outDir.empty() || o.rungs.empty() || !haveIdle)
        return "--listen, --out-dir, --rung and --idle-timeout-ms are needed";
    if (o.segmentMs % o.partMs != 0) return "--segment-ms is a whole number of --part-ms";
    std::sort(o.rungs.begin(), o.rungs.end(), [](const Rung& x, const Rung& y) { return x.height > y.height; });
    for (size_t i = 1; i < o.rungs.size(); ++i)
        if (o.rungs[i].height == o.rungs[i - 1].height) return "two --rung have the same height";
    return {};
}

} // namespace vtp::streaming::ingest
