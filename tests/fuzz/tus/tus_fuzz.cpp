// Fuzzes the recording plugin's tus header parsers (a client sends these headers): sizes,
// Upload-Metadata, Upload-Checksum, and the SDK's Base64 (vtp/base64.hpp) they decode with. What parses must survive a round trip through its
// formatter unchanged.
#include "TusHeaders.hpp"

#include <vtp/base64.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::recording::tus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto n = parseSize(text); n && *n.value > static_cast<uint64_t>(INT64_MAX)) std::abort();

    if (const auto m = parseMetadata(text)) {
        if (m.value->size() > kMaxMetadataPairs) std::abort();
        const auto again = parseMetadata(formatMetadata(*m.value));
        if (!again || again.value->size() != m.value->size()) std::abort();
        for (size_t i = 0; i < m.value->size(); ++i)
            if ((*again.value)[i].key != (*m.value)[i].key || (*again.value)[i].value != (*m.value)[i].value) std::abort();
    } else if (m.error.empty()) {
        std::abort(); // a refusal always says why
    }

    if (const auto c = parseChecksum(text); c && (c.value->digest.empty() || c.value->algorithm.empty())) std::abort();

    if (const auto decoded = vtp::base64Decode(text); decoded && vtp::base64Encode(*decoded) != text) std::abort(); // canonical only
    if (vtp::base64Decode(vtp::base64Encode(text)) != std::string(text)) std::abort();
    if (const auto decoded = vtp::base64UrlDecode(text); decoded && vtp::base64UrlEncode(*decoded) != text) std::abort();
    if (vtp::base64UrlDecode(vtp::base64UrlEncode(text)) != std::string(text)) std::abort();
    (void)supportedVersion(text);
    return 0;
}
