#pragma once

// The tus 1.0 request headers a client sends (Upload-Length, Upload-Offset, Upload-Metadata,
// Upload-Checksum, Tus-Resumable), parsed without throwing: each parser returns the value or why
// it is refused. Pure code, fuzzed (tests/fuzz/tus).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::recording::tus {

inline constexpr std::string_view kVersion = "1.0.0";
// Bounds on what a client may send: keys are short words, values small (a file name, a type).
inline constexpr size_t kMaxMetadataPairs = 32;
inline constexpr size_t kMaxMetadataKeyBytes = 64;
inline constexpr size_t kMaxMetadataValueBytes = 1024;

template <typename T>
struct Parsed {
    std::optional<T> value;
    std::string error; // set when value is empty
    explicit operator bool() const { return value.has_value(); }
    static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
    static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
};

// Upload-Length and Upload-Offset: a non-negative decimal integer (no sign, no spaces inside),
// at most 2^63 - 1; surrounding spaces and tabs are allowed (HTTP's optional white space).
Parsed<uint64_t> parseSize(std::string_view text);

struct MetadataPair {
    std::string key;
    std::optional<std::string> value; // a key may come without a value
};
// Upload-Metadata: comma-separated "key base64(value)" or "key"; keys are unique, non-empty,
// printable ASCII without spaces or commas; values standard Base64 with padding (vtp/base64.hpp,
// strict: tus says "Base64 encoded", and tus-js-client writes js-base64's padded form).
Parsed<std::vector<MetadataPair>> parseMetadata(std::string_view text);
// The header that parses back to `pairs` (what HEAD echoes is the client's own text instead).
std::string formatMetadata(const std::vector<MetadataPair>& pairs);
// The value of `key` in `pairs`, if present with a value.
std::optional<std::string> metadataValue(const std::vector<MetadataPair>& pairs, std::string_view key);

struct Checksum {
    std::string algorithm; // lower-case, e.g. "sha1"
    std::string digest;    // the raw bytes
};
// Upload-Checksum: "<algorithm> <base64 digest>".
Parsed<Checksum> parseChecksum(std::string_view text);

// Tus-Resumable: only "1.0.0" is spoken.
bool supportedVersion(std::string_view text);

} // namespace vtp::recording::tus
