#pragma once

#include <cstdint>

namespace vtp::courses::timetable {

// xoshiro256** (Blackman and Vigna): the search draws several numbers per move, and this is a few
// times cheaper than std::mt19937_64 with as good a spread for the purpose. Seeded by SplitMix64,
// so any seed, 0 included, gives a usable state. Not thread-safe; each search thread owns one.
class Random {
public:
    explicit Random(uint64_t seed)
    {
        for (uint64_t& word : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    uint64_t operator()()
    {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, n) for n < 2^32 (Lemire's multiply-shift, without the rejection step: the bias
    // is below n / 2^32).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((*this)() >> 32) * n >> 32); }
    // Uniform in [0, 1).
    double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    uint64_t s_[4];
};

} // namespace vtp::courses::timetable
