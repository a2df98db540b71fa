#include "http/JsonCheck.hpp"

#include <vtp/json_check.hpp>

namespace vtp::kernel {

// The SDK's check (RapidJSON underneath, the same one the signalling plugin uses), reported in
// the kernel's words: "line L, column C: what", with the pointer for non-syntax problems.
JsonCheckResult checkJson(std::string_view text, size_t maxDepth)
{
    json::CheckOptions options;
    options.maxDepth = maxDepth;
    const auto r = json::check(text, options);
    JsonCheckResult out;
    if (r.ok()) return out;
    out.ok = false;
    switch (r.problem) {
    case json::CheckProblem::DuplicateMember: out.kind = JsonCheckResult::Kind::DuplicateKey; break;
    case json::CheckProblem::NumberRange: out.kind = JsonCheckResult::Kind::NumberRange; break;
    default: out.kind = JsonCheckResult::Kind::Syntax; break;
    }
    const auto at = json::positionOf(text, r.offset);
    out.line = at.line;
    out.column = at.column;
    out.pointer = r.pointer;
    out.message = "line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " +
                  (r.atEnd ? "unexpected end of input; " : "") + r.message;
    if (out.kind != JsonCheckResult::Kind::Syntax) out.message += " (at '" + json::abbreviated(r.pointer) + "')";
    return out;
}

} // namespace vtp::kernel
