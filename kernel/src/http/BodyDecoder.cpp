#include "http/BodyDecoder.hpp"

namespace vtp::kernel {

BodyDecoder::BodyDecoder(bool chunked, uint64_t length) : chunked_(chunked), phase_(chunked ? Phase::Size : Phase::Data)
{
    if (!chunked) {
        remaining_ = length;
        if (length == 0) {
            phase_ = Phase::Finished;
            state_ = State::Done;
        }
    }
}

size_t BodyDecoder::safeAhead() const
{
    if (state_ != State::Body) return 0;
    if (phase_ == Phase::Data) return static_cast<size_t>(std::min<uint64_t>(remaining_, SIZE_MAX));
    // Framing: the shortest end from here is a few bytes ("0\r\n\r\n"); one at a time is safe.
    return 1;
}

bool BodyDecoder::fail(const char* why)
{
    state_ = State::Error;
    error_ = why;
    return false;
}

namespace {
int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

bool BodyDecoder::framing(char c)
{
    switch (phase_) {
    case Phase::Size: {
        const int v = hexValue(c);
        if (v >= 0) {
            if (size_ >> 59) return fail("a chunk size is too large");
            size_ = size_ * 16 + static_cast<uint64_t>(v);
            ++digits_;
            return true;
        }
        if (digits_ == 0) return fail("a chunk does not start with its size in hex");
        if (c == ';' || c == ' ' || c == '\t') {
            phase_ = Phase::Ext;
            line_ = digits_ + 1;
            return true;
        }
        if (c == '\r') {
            phase_ = Phase::SizeLf;
            return true;
        }
        if (c == '\n') break; // a bare LF, as lenient servers accept
        return fail("a chunk size has a character that is not a hex digit");
    }
    case Phase::Ext:
        // Extensions mean nothing to us; bounded so that one endless line cannot hold the read.
        if (++line_ > kMaxLine) return fail("a chunk size line is too long");
        if (c == '\r') {
            phase_ = Phase::SizeLf;
            return true;
        }
        if (c == '\n') break;
        if (c == '\0') return fail("a chunk extension holds a NUL");
        return true;
    case Phase::SizeLf:
        if (c != '\n') return fail("a chunk size line does not end with CRLF");
        break;
    case Phase::DataCr:
        if (c == '\r') {
            phase_ = Phase::DataLf;
            return true;
        }
        if (c == '\n') {
            phase_ = Phase::Size;
            size_ = 0;
            digits_ = 0;
            return true;
        }
        return fail("a chunk's data is longer than its size");
    case Phase::DataLf:
        if (c != '\n') return fail("a chunk's data does not end with CRLF");
        phase_ = Phase::Size;
        size_ = 0;
        digits_ = 0;
        return true;
    case Phase::Trailer:
        if (++trailer_ > kMaxTrailer) return fail("the trailer fields are too large");
        if (c == '\r') {
            phase_ = Phase::TrailerLf;
            return true;
        }
        if (c == '\n') {
            if (line_ == 0) {
                phase_ = Phase::Finished;
                state_ = State::Done;
                return false;
            }
            line_ = 0;
            return true;
        }
        ++line_;
        return true;
    case Phase::TrailerLf:
        if (c != '\n') return fail("a trailer line does not end with CRLF");
        if (line_ == 0) {
            phase_ = Phase::Finished;
            state_ = State::Done;
            return false;
        }
        line_ = 0;
        phase_ = Phase::Trailer;
        return true;
    case Phase::Data:
    case Phase::Finished: return false;
    }
    // The end of a chunk size line.
    if (size_ == 0) {
        phase_ = Phase::Trailer;
        line_ = 0;
        return true;
    }
    remaining_ = size_;
    phase_ = Phase::Data;
    return true;
}

} // namespace vtp::kernel
