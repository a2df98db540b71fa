// Fuzzes the SDK's playback token parser (vtp/playback_token.hpp: a client puts the token in every
// media URL's path of the recording and streaming plugins): what parses must format back to exactly
// the same text, and carry fields in range.
#include <vtp/playback_token.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::playback;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto t = parse(text)) {
        if (format(*t) != text) std::abort(); // one token, one text
        if (t->expiresAt <= 0 || t->userId.empty() || t->userId.size() > kMaxUserIdBytes || t->mac.size() != kMacBytes) std::abort();
        (void)signedText("fuzz", text, *t);
        if (!constantTimeEqual(t->mac, t->mac)) std::abort();
    }
    return 0;
}
