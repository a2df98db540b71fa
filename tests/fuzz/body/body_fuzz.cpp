// Fuzzes the streamed-body decoder (kernel/src/http/BodyDecoder): chunked framing as a client
// sends it, fed whole and again in pieces of sizes the input picks. Both must agree on the body,
// the bytes used and the verdict, never use a byte past the body's end, and never hand more
// bytes than safeAhead() promised.
//
// Input format: one byte choosing the framing (even: chunked, odd: a fixed length taken from
// the next two bytes), one byte seeding the piece sizes, then the wire bytes.
#include "http/BodyDecoder.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using vtp::kernel::BodyDecoder;

namespace {

struct Outcome {
    std::string body;
    size_t used = 0;
    BodyDecoder::State state = BodyDecoder::State::Body;
    uint64_t received = 0;
};

BodyDecoder make(bool chunked, uint64_t length)
{
    return chunked ? BodyDecoder::chunked() : BodyDecoder::fixed(length);
}

Outcome whole(bool chunked, uint64_t length, const char* p, size_t n)
{
    Outcome o;
    auto d = make(chunked, length);
    o.used = d.feed(p, n, [&](std::string_view s) {
        o.body.append(s);
        return true;
    });
    o.state = d.state();
    o.received = d.received();
    return o;
}

Outcome pieces(bool chunked, uint64_t length, const char* p, size_t n, unsigned seed)
{
    Outcome o;
    auto d = make(chunked, length);
    while (o.used < n && d.state() == BodyDecoder::State::Body) {
        seed = seed * 1103515245u + 12345u;
        size_t want = 1 + (seed >> 16) % 7;
        // Sometimes offer exactly what the decoder says is safe, as the server does on a socket.
        if ((seed & 3) == 0) want = static_cast<size_t>(std::min<uint64_t>(d.safeAhead(), 1 << 16));
        if (want == 0) want = 1;
        want = std::min(want, n - o.used);
        const size_t safe = d.safeAhead();
        const size_t u = d.feed(p + o.used, want, [&](std::string_view s) {
            o.body.append(s);
            return true;
        });
        if (u > want) abort();
        if (want <= safe && u != want && d.state() == BodyDecoder::State::Body) abort(); // safe bytes are all taken
        o.used += u;
        if (u == 0 && d.state() == BodyDecoder::State::Body) abort(); // no progress
    }
    o.state = d.state();
    o.received = d.received();
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2) return 0;
    const bool chunked = (data[0] & 1) == 0;
    uint64_t length = 0;
    size_t skip = 2;
    if (!chunked) {
        if (size < 4) return 0;
        length = static_cast<uint64_t>(data[2]) | static_cast<uint64_t>(data[3]) << 8;
        skip = 4;
    }
    const auto* p = reinterpret_cast<const char*>(data + skip);
    const size_t n = size - skip;
    const auto a = whole(chunked, length, p, n);
    const auto b = pieces(chunked, length, p, n, data[1]);
    if (a.body != b.body || a.used != b.used || a.state != b.state || a.received != b.received) {
        std::fprintf(stderr, "whole and pieces disagree\n");
        abort();
    }
    if (a.received != a.body.size()) abort();
    if (!chunked && a.body.size() > length) abort();
    // Done means the body ended at `used`: nothing after it was taken.
    if (a.state == BodyDecoder::State::Body && a.used != n) abort();
    return 0;
}
