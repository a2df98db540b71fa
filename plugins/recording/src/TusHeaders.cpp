#include "TusHeaders.hpp"

#include <vtp/base64.hpp>

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
            auto value = vtp::base64Decode(encoded);
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
        if (p.value) out += ' ' + vtp::base64Encode(*p.value);
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
    auto digest = vtp::base64Decode(encoded);
    if (!digest || digest->empty()) return Parsed<Checksum>::fail("the digest is not Base64");
    return Parsed<Checksum>::ok(Checksum{std::move(algorithm), std::move(*digest)});
}

bool supportedVersion(std::string_view text)
{
    return trim(text) == kVersion;
}

} // namespace vtp::recording::tus
