#pragma once

// Reading a struct that the other side of the ABI wrote at its own size (its leading struct_size):
// copy that many bytes, never more than ours, into a zeroed struct of our size, so that the fields
// it predates read as 0/NULL and the bytes after its end are never touched.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace vtp::kernel {

// The writer's struct_size, read without assuming the writer's struct is as large as ours.
inline uint32_t writerSize(const void* in)
{
    uint32_t size = 0;
    std::memcpy(&size, in, sizeof size);
    return size;
}

// `in` copied into a zeroed T; struct_size keeps the writer's size (capped at ours), so that
// VTP_HAS_FIELD on the copy still tells a field the writer had from one it did not.
template <typename T>
T copyBySize(const T* in)
{
    T out{};
    const size_t size = std::min<size_t>(writerSize(in), sizeof(T));
    std::memcpy(static_cast<void*>(&out), in, size);
    out.struct_size = static_cast<uint32_t>(size);
    return out;
}

// Why an array of such structs could not be read ("" when it could).
struct ArrayCopyError {
    bool newer = false; // an element is larger than this kernel's struct: a newer SDK's
    std::string text;
    explicit operator bool() const { return !text.empty(); }
};

// Copies `count` elements of an array whose elements each begin with their own struct_size.
// A C array's stride is its element's size, which is the writer's struct_size, not ours: step by
// it. Each element must be at least `minSize` bytes (the fields every version has), a multiple of
// the struct's alignment (a real stride), and at most ours (larger means a newer SDK).
template <typename T>
ArrayCopyError copyArrayBySize(const T* first, size_t count, size_t minSize, const std::string& what, std::vector<T>& out)
{
    out.clear();
    out.reserve(count);
    const auto* p = reinterpret_cast<const unsigned char*>(first);
    for (size_t i = 0; i < count; ++i) {
        const uint32_t size = writerSize(p);
        const std::string name = what + " " + std::to_string(i);
        if (size > sizeof(T))
            return {true, name + " is " + std::to_string(size) + " bytes, larger than this kernel's (" + std::to_string(sizeof(T)) + ")"};
        if (i > 0 && size != writerSize(first))
            return {false, name + " has struct_size " + std::to_string(size) + ", element 0 has " + std::to_string(writerSize(first)) +
                               " (the elements of one array share one size)"};
        if (size < minSize || size % alignof(T) != 0)
            return {false, name + " has struct_size " + std::to_string(size) + " (at least " + std::to_string(minSize) +
                               " and a multiple of " + std::to_string(alignof(T)) + " expected)"};
        out.push_back(copyBySize(reinterpret_cast<const T*>(p)));
        p += size;
    }
    return {};
}

} // namespace vtp::kernel
