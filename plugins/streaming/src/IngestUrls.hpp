#pragma once

// The URLs an encoder (OBS, ffmpeg) publishes a live stream to, each carrying the stream's key:
//   RTMP: BASE/KEY                                  (rtmp://host:1935/live/KEY: OBS's server + key)
//   SRT:  BASE?streamid=%23%21%3A%3Ar%3Dlive%2FKEY%2Cm%3Dpublish
//         (SRT's access-control form "#!::r=live/KEY,m=publish", percent-encoded as a URI's
//         query value; a BASE that has a query already gets "&streamid=...").
// Pure C++, thread-safe; the key is base64url, but any text is encoded safely.

#include <string>
#include <string_view>

namespace vtp::streaming {

// RFC 3986: every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX (upper case).
std::string percentEncode(std::string_view text);

std::string rtmpIngestUrl(std::string_view base, std::string_view key);
std::string srtIngestUrl(std::string_view base, std::string_view key);

} // namespace vtp::streaming
