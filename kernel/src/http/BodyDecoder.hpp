#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string_view>

namespace vtp::kernel {

// Takes a request body off the wire in whatever pieces it arrives, Content-Length or chunked
// (RFC 9112 section 7.1), without buffering it: each call hands the data bytes it found to a
// sink and says how many input bytes it used. It never uses a byte past the end of the body,
// so a pipelined request after it stays where it is. Chunk extensions and trailers are read and
// dropped, each line bounded (kMaxLine), the trailers together too (kMaxTrailer).
class BodyDecoder {
public:
    enum class State { Body, Done, Error };
    static constexpr size_t kMaxLine = 4096;
    static constexpr size_t kMaxTrailer = 16384;

    static BodyDecoder fixed(uint64_t length) { return BodyDecoder(false, length); }
    static BodyDecoder chunked() { return BodyDecoder(true, 0); }

    // Uses up to `len` bytes of `in`, calling sink(std::string_view) for each run of body bytes;
    // returns the bytes used. Stops at the end of the body, on an error, or when the sink returns
    // false (the bytes given to that sink call count as used).
    template <typename Sink>
    size_t feed(const char* in, size_t len, Sink&& sink);

    State state() const { return state_; }
    bool done() const { return state_ == State::Done; }
    bool failed() const { return state_ == State::Error; }
    const char* error() const { return error_; }
    uint64_t received() const { return received_; } // body bytes so far
    // Bytes that are surely body data (read straight into the sink, no framing in between); 0
    // while framing is being read, when more than one byte ahead may belong to the next request.
    uint64_t dataAhead() const { return phase_ == Phase::Data ? remaining_ : 0; }
    // The most bytes worth offering that are certain not to run past the body's end.
    size_t safeAhead() const;

private:
    enum class Phase { Size, Ext, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, Finished };
    BodyDecoder(bool chunked, uint64_t length);
    bool fail(const char* why);
    // One framing byte; false when it ends the body or is an error.
    bool framing(char c);

    bool chunked_;
    Phase phase_;
    State state_ = State::Body;
    const char* error_ = "";
    uint64_t remaining_ = 0; // in Data: bytes left in this chunk (or the whole fixed body)
    uint64_t received_ = 0;
    uint64_t size_ = 0; // the chunk size being read
    size_t digits_ = 0;
    size_t line_ = 0;    // bytes in the current framing line
    size_t trailer_ = 0; // trailer bytes so far
};

template <typename Sink>
size_t BodyDecoder::feed(const char* in, size_t len, Sink&& sink)
{
    size_t used = 0;
    while (used < len && state_ == State::Body) {
        if (phase_ == Phase::Data) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, len - used));
            remaining_ -= n;
            received_ += n;
            const bool more = sink(std::string_view(in + used, n));
            used += n;
            if (remaining_ == 0) {
                if (!chunked_) {
                    phase_ = Phase::Finished;
                    state_ = State::Done;
                } else {
                    phase_ = Phase::DataCr;
                }
            }
            if (!more) break;
            continue;
        }
        const char c = in[used++];
        if (!framing(c)) break;
    }
    return used;
}

} // namespace vtp::kernel
