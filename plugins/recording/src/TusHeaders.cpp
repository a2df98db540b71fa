#include "TusHeaders.hpp"

#include <algorithm>
#include <set>

namespace vtp::recording::tus {

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool keyChar(char c)
{
    return c > 0x20 && c < 0x7f && c != ',';
}

} // namespace

Parsed<uint64_t> parseSize(std::string_view text)
{
    const std::string_view s = trim(text);
    if (s.empty()) return Parsed<uint64_t>::fail("empty");
    if (s.size() > 19) return Parsed<uint64_t>::fail("too large");
    uint64_t n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return Parsed<uint64_t>::fail("not a non-negative integer");
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n > static_cast<uint64_t>(INT64_MAX)) return Parsed<uint64_t>::fail("too large");
    return Parsed<uint64_t>::ok(n);
}

std::string base64Encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v =
            (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (const size_t rest = bytes.size() - i; rest > 0) {
        uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64Decode(std::string_view text)
{
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + static_cast<size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return std::nullopt; // data after padding
            v[k] = sextet(c);
            if (v[k] < 0) return std::nullopt;
        }
        const uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) | (static_cast<uint32_t>(v[2]) << 6) |
                           static_cast<uint32_t>(v[3]);
        // Canonical only: the bits the padding drops must be zero, so that one value has one text.
        if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return std::nullopt;
        out += static_cast<char>((n >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

Parsed<std::vector<MetadataPair>> parseMetadata(std::string_view text)
{
    using Result = Parsed<std::vector<MetadataPair>>;
    std::vector<MetadataPair> pairs;
    std::set<std::string, std::less<>> seen;
    const std::string_view all = trim(text);
    if (all.empty()) return Result::ok(std::move(pairs));
    size_t start = 0;
    while (start <= all.size()) {
        const size_t comma = std::min(all.find(',', start), all.size());
        const std::string_view item = trim(all.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) return Result::fail("an empty key-value pair");
        const size_t space = item.find(' ');
        const std::string_view key = item.substr(0, space);
        if (key.size() > kMaxMetadataKeyBytes) return Result::fail("a key longer than " + std::to_string(kMaxMetadataKeyBytes) + " bytes");
        if (!std::all_of(key.begin(), key.end(), keyChar)) return Result::fail("a key with a character outside printable ASCII");
        if (!seen.insert(std::string(key)).second) return Result::fail("the key '" + std::string(key) + "' appears twice");
        if (pairs.size() == kMaxMetadataPairs) return Result::fail("more than " + std::to_string(kMaxMetadataPairs) + " pairs");
        MetadataPair pair{std::string(key), std::nullopt};
        if (space != std::string_view::npos) {
            const std::string_view encoded = trim(item.substr(space + 1));
            if (encoded.size() > (kMaxMetadataValueBytes + 2) / 3 * 4)
                return Result::fail("the value of '" + pair.key + "' is longer than " + std::to_string(kMaxMetadataValueBytes) + " bytes");
            auto value = base64Decode(encoded);
            if (!value) return Result::fail("the value of '" + pair.key + "' is not Base64");
            pair.value = std::move(*value);
        }
        pairs.push_back(std::move(pair));
        if (comma == all.size()) break;
    }
    return Result::ok(std::move(pairs));
}

std::string formatMetadata(const std::vector<MetadataPair>& pairs)
{
    std::string out;
    for (const auto& p : pairs) {
        if (!out.empty()) out += ',';
        out += p.key;
        if (p.value) out += ' ' + base64Encode(*p.value);
    }
    return out;
}

std::optional<std::string> metadataValue(const std::vector<MetadataPair>& pairs, std::string_view key)
{
    for (const auto& p : pairs)
        if (p.key == key) return p.value;
    return std::nullopt;
}

Parsed<Checksum> parseChecksum(std::string_view text)
{
    const std::string_view s = trim(text);
    const size_t space = s.find(' ');
    if (space == std::string_view::npos || space == 0) return Parsed<Checksum>::fail("expected '<algorithm> <base64 digest>'");
    std::string algorithm(s.substr(0, space));
    if (algorithm.size() > 16) return Parsed<Checksum>::fail("unknown algorithm");
    for (char& c : algorithm) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return Parsed<Checksum>::fail("unknown algorithm");
    }
    const std::string_view encoded = trim(s.substr(space + 1));
    if (encoded.size() > 128) return Parsed<Checksum>::fail("the digest is too long");
    auto digest = base64Decode(encoded);
    if (!digest || digest->empty()) return Parsed<Checksum>::fail("the digest is not Base64");
    return Parsed<Checksum>::ok(Checksum{std::move(algorithm), std::move(*digest)});
}

bool supportedVersion(std::string_view text)
{
    return trim(text) == kVersion;
}

} // namespace vtp::recording::tus
