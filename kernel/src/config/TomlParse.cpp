#include "config/TomlParse.hpp"

#include "config/ConfigFormat.hpp"
#include "config/TomlScan.hpp"

#include <algorithm>
#include <climits>

namespace vtp::kernel::configformat {

namespace {

// Far beyond any real config, far below what toml++'s recursion survives.
constexpr size_t kMaxKeyParts = 64;

int position(toml::source_index index)
{
    return index > static_cast<toml::source_index>(INT_MAX) ? INT_MAX : static_cast<int>(index);
}

// The problem as reported on the placeholder copy, but naming the character the operator wrote.
TomlProblem problemFrom(const toml::parse_error& error, std::string_view original)
{
    TomlProblem problem{position(error.source().begin.line), position(error.source().begin.column), "valid TOML",
                        std::string(error.description())};
    const size_t offset = offsetOfLineColumn(original, problem.line, problem.column);
    const size_t placeholder = problem.found.find("'?'");
    if (offset < original.size() && static_cast<unsigned char>(original[offset]) >= 0x80 && placeholder != std::string::npos) {
        size_t end = offset + 1;
        while (end < original.size() && (static_cast<unsigned char>(original[end]) & 0xC0) == 0x80) ++end;
        problem.found.replace(placeholder + 1, 1, original.substr(offset, end - offset));
    }
    return problem;
}

} // namespace

std::variant<toml::table, TomlProblem> parseToml(std::string_view text, std::string_view sourceName)
{
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    if (auto bad = firstInvalidUtf8(text)) {
        const auto [line, column] = lineColumnAt(text, *bad);
        return TomlProblem{line, column, "UTF-8 text", "a byte that is not UTF-8"};
    }
    const TomlScan scan = scanToml(text, kMaxKeyParts);
    if (scan.deepKey)
        return TomlProblem{scan.deepKey->line, scan.deepKey->column, "keys of at most " + std::to_string(kMaxKeyParts) + " dotted parts",
                           scan.deepKey->found};
    const bool hasNonAscii = std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (hasNonAscii) {
        try {
            (void)toml::parse(asciiPlaceholders(text), sourceName);
        } catch (const toml::parse_error& e) {
            return problemFrom(e, text);
        }
        if (const auto& unsafe = scan.unsafeNonAscii)
            return TomlProblem{unsafe->line, unsafe->column, "an ASCII character here (write it as \\uXXXX)", unsafe->found};
    }
    try {
        return toml::parse(text, sourceName);
    } catch (const toml::parse_error& e) {
        return problemFrom(e, text);
    }
}

} // namespace vtp::kernel::configformat
