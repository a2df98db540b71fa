// libFuzzer target for the timetabling .ctt parser and .sol reader (plugins/courses).
// Input: a .ctt text, optionally followed by "\n%%\n" and a .sol text for that instance.
// Beyond not crashing, whatever parses must write back to text that parses to the same value.
#include "timetable/CttError.hpp"
#include "timetable/CttFormat.hpp"
#include "timetable/Evaluator.hpp"
#include "timetable/Solution.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace vtp::courses::timetable;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t split = input.find("\n%%\n");
    const std::string_view ctt = input.substr(0, split);
    const std::string_view sol = split == std::string_view::npos ? std::string_view() : input.substr(split + 4);
    Instance instance;
    try {
        instance = parseCtt(ctt);
    } catch (const CttError&) {
        return 0;
    }
    if (!(parseCtt(writeCtt(instance)) == instance)) std::abort();
    Solution solution;
    try {
        solution = parseSol(instance, sol);
    } catch (const CttError&) {
        return 0;
    }
    if (!(parseSol(instance, writeSol(instance, solution)) == solution)) std::abort();
    Evaluator(instance).evaluate(solution);
    return 0;
}
