#pragma once

// The URLs an encoder (OBS, ffmpeg) publishes a live stream to, each carrying the stream's key:
//   RTMP: BASE/KEY                                  (rtmp://host:1935/live/KEY: OBS's server + key)
//   SRT:  BASE?streamid=%23%21%3A%3Ar%3Dlive%2FKEY%2Cm%3Dpublish
//         (SRT's access-control form "#!::r=live/KEY,m=publish", percent-encoded as a URI's
//         query value; a BASE that has a query already gets "&streamid=...").
// Pure C++, thread-safe; the key is base64url, but any text is encoded safely.

#include <optional>
#include <string>
#include <string_view>

namespace vtp::streaming {

// RFC 3986: every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX (upper case).
std::string percentEncode(std::string_view text);

std::string rtmpIngestUrl(std::string_view base, std::string_view key);
std::string srtIngestUrl(std::string_view base, std::string_view key);

// BASE with its port set to `port` (each stream's worker listens on a port of its own):
// rtmp://host/live and rtmp://host:1935/live give rtmp://host:PORT/live; [v6]:1935 keeps its brackets.
std::string withPort(std::string_view base, int port);
// The RTMP application a base URL names: "live" for rtmp://host:1935/live/; "" for none.
std::string rtmpApplication(std::string_view base);

// A range of ports from the config, "19350-19449" (or one port, "19350"), within 1..65535.
struct PortRange {
    int first = 0, last = 0;
    bool contains(int port) const { return port >= first && port <= last; }
};
std::optional<PortRange> parsePortRange(std::string_view text);

} // namespace vtp::streaming
