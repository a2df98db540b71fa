#pragma once

// CTA-5004 Common Media Client Data (CMCD v1), as hls.js (`cmcd` config) and dash.js
// (`streaming.cmcd`) send it with their requests: the `CMCD` query argument or the four headers
// CMCD-Request, CMCD-Object, CMCD-Status and CMCD-Session. Its syntax is an RFC 8941 dictionary:
// comma-separated keys, each bare (boolean true) or key=value with an integer, a decimal, a quoted
// string (\" and \\ escapes) or a token. Each key of the spec is type-checked; keys of a later
// version are skipped and counted, custom keys (with a hyphen) kept up to a bound. The parsers
// never throw on bad input: malformed CMCD comes back as an error text, for the caller to count.
// Pure C++, fuzzed (tests/fuzz/cmcd).

#include "Parsed.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::streaming {

inline constexpr size_t kMaxCmcdBytes = 4096; // the payload, all four headers together
inline constexpr size_t kMaxCmcdKeys = 40;    // CMCD v1 has 18 keys
inline constexpr size_t kMaxCmcdIdBytes = 64; // cid and sid, by the spec
inline constexpr size_t kMaxCmcdNorBytes = 1024;
inline constexpr size_t kMaxCmcdCustomKeys = 8;   // more are dropped, counted
inline constexpr size_t kMaxCmcdCustomBytes = 64; // a custom key's name or value; longer: dropped

// ot: m manifest, a audio, v video, av muxed, i init segment, c caption, tt timed text, k key, o other
enum class CmcdObjectType { Manifest, Audio, Video, Muxed, Init, Caption, TimedText, Key, Other };
enum class CmcdStreamingFormat { Dash, Hls, Smooth, Other }; // sf: d h s o
enum class CmcdStreamType { Vod, Live };                     // st: v l

struct CmcdCustomKey {
    std::string key;   // e.g. "com.example-myNumericKey"
    std::string value; // as serialised ("123", "\"text\"", "tok"); empty for a bare key
    bool operator==(const CmcdCustomKey&) const = default;
};

struct CmcdData {
    // Integers: kbps for br, mtp, rtp, tb; ms for bl, d, dl.
    std::optional<int64_t> br, bl, d, dl, mtp, rtp, tb;
    std::optional<bool> bs, su; // present only when sent (bare key: true; ?0: false)
    std::optional<std::string> cid, sid, nor, nrr;
    std::optional<CmcdObjectType> ot;
    std::optional<CmcdStreamingFormat> sf;
    std::optional<CmcdStreamType> st;
    std::optional<int64_t> prMilli; // pr (playback rate) in thousandths: exact, as RFC 8941 decimals have 3 digits
    std::optional<int64_t> v;       // version; absent means 1
    std::vector<CmcdCustomKey> custom;
    uint32_t keyCount = 0;          // keys read; 0 when no CMCD came with the request
    uint32_t unknownKeys = 0;       // keys of no known version and without a hyphen: skipped
    uint32_t droppedCustomKeys = 0; // custom keys beyond the bounds

    bool starved() const { return bs.value_or(false); }
    bool startup() const { return su.value_or(false); }
    bool isMedia() const; // ot is a, v, av or o, or absent with d or br present
    bool isVideo() const; // ot is v or av, or absent with br present
};

// The value of the CMCD query argument, already percent-decoded.
Parsed<CmcdData> parseCmcd(std::string_view payload);

// A request's raw query string (after '?'): finds the CMCD argument and decodes it. No CMCD
// argument gives an empty CmcdData (keyCount 0); two of them, or a bad escape, are an error.
Parsed<CmcdData> parseCmcdQuery(std::string_view rawQuery);

struct CmcdHeaders {
    std::string_view request, object, status, session; // empty: the header is absent
};
// The four headers as one dictionary: a key may appear in any header, but once in all of them.
Parsed<CmcdData> parseCmcdHeaders(const CmcdHeaders& headers);

// The payload that parses back to `data` (its keys in alphabetical order, custom keys last).
std::string formatCmcd(const CmcdData& data);
// True if the two carry the same keys and values (the counters aside).
bool sameCmcd(const CmcdData& a, const CmcdData& b);

} // namespace vtp::streaming
