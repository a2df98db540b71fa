#include "timetable/Commands.hpp"

#include "timetable/CttError.hpp"
#include "timetable/CttFormat.hpp"
#include "timetable/Evaluator.hpp"
#include "timetable/InfeasibleError.hpp"
#include "timetable/Solution.hpp"
#include "timetable/Solver.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace vtp::courses::timetable {

namespace {

constexpr const char* solveUsage = "usage: timetable solve FILE.ctt [--time-limit SECONDS] [--iterations N] [--seed N] [--threads N]\n"
                                   "                       [-o FILE.sol] [--quiet]\n";
constexpr const char* checkUsage = "usage: timetable check FILE.ctt FILE.sol\n";

int usageError(const std::string& message, const char* usage)
{
    std::cerr << "error: " << message << "\n" << usage;
    return 2;
}

// The whole file, or nullopt after printing why not.
std::optional<std::string> readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "error: cannot open " << path << "\n";
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        std::cerr << "error: cannot read " << path << "\n";
        return std::nullopt;
    }
    return text.str();
}

std::optional<Instance> readInstance(const std::string& path)
{
    const auto text = readFile(path);
    if (!text) return std::nullopt;
    try {
        return parseCtt(*text);
    } catch (const CttError& e) {
        std::cerr << "error: " << path << ": " << e.what() << "\n";
        return std::nullopt;
    }
}

template <typename T>
bool parseNumber(const std::string& text, T& out)
{
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

void printEvaluation(std::ostream& out, const Evaluation& e)
{
    char line[96];
    auto row = [&](const char* label, int value) {
        std::snprintf(line, sizeof line, "%-24s %d\n", label, value);
        out << line;
    };
    row("Unscheduled lectures:", e.hard.unscheduled);
    row("Room conflicts:", e.hard.roomConflicts);
    row("Teacher conflicts:", e.hard.teacherConflicts);
    row("Curriculum conflicts:", e.hard.curriculumConflicts);
    row("Unavailability:", e.hard.unavailability);
    row("Hard violations total:", e.hard.total());
    row("Room capacity:", e.soft.roomCapacity);
    row("Min working days:", e.soft.minWorkingDays);
    row("Curriculum compactness:", e.soft.curriculumCompactness);
    row("Room stability:", e.soft.roomStability);
    row("Soft cost total:", e.soft.total());
    out << "Feasible:                " << (e.feasible() ? "yes" : "no") << "\n";
}

} // namespace

int runSolveCommand(const std::vector<std::string>& args)
{
    std::string input;
    std::string output;
    SolverOptions options;
    bool quiet = false;
    bool timeGiven = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) return false;
            out = args[++i];
            return true;
        };
        std::string text;
        if (arg == "--time-limit") {
            if (!value(text) || !parseNumber(text, options.timeLimitSeconds) || options.timeLimitSeconds < 0 ||
                options.timeLimitSeconds > 7 * 24 * 3600.0)
                return usageError("--time-limit takes seconds, a number from 0 to 604800", solveUsage);
            timeGiven = true;
        } else if (arg == "--iterations") {
            if (!value(text) || !parseNumber(text, options.iterationLimit))
                return usageError("--iterations takes a whole number", solveUsage);
        } else if (arg == "--seed") {
            if (!value(text) || !parseNumber(text, options.seed)) return usageError("--seed takes a whole number", solveUsage);
        } else if (arg == "--threads") {
            if (!value(text) || !parseNumber(text, options.threads) || options.threads < 1 || options.threads > 64)
                return usageError("--threads takes a number from 1 to 64", solveUsage);
        } else if (arg == "-o" || arg == "--output") {
            if (!value(output) || output.empty()) return usageError(arg + " takes a file name", solveUsage);
        } else if (arg == "--quiet" || arg == "-q") {
            quiet = true;
        } else if (arg == "--help" || arg == "-h") {
            std::cout << solveUsage;
            return 0;
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            return usageError("unknown option " + arg, solveUsage);
        } else if (input.empty()) {
            input = arg;
        } else {
            return usageError("more than one input file", solveUsage);
        }
    }
    if (input.empty()) return usageError("no input file", solveUsage);
    if (!timeGiven && options.iterationLimit > 0)
        options.timeLimitSeconds = 0; // an iteration limit alone: a run that depends only on the seed
    if (options.timeLimitSeconds <= 0 && options.iterationLimit == 0) return usageError("--time-limit 0 needs --iterations", solveUsage);

    const auto instance = readInstance(input);
    if (!instance) return 1;
    std::optional<Solver> solver;
    try {
        solver.emplace(*instance);
    } catch (const InfeasibleError& e) {
        std::cerr << "error: " << input << " is over-constrained: " << e.what() << "\n";
        return 1;
    }
    if (!quiet) {
        options.progress = [](const SolverProgress& p) {
            char line[96];
            std::snprintf(line, sizeof line, "%7.1f s  best hard %d  soft %d\n", p.elapsedSeconds, p.bestHard, p.bestSoft);
            std::cerr << line;
        };
    }
    const SolverResult result = solver->solve(options);
    const std::string sol = writeSol(*instance, result.solution);
    std::ostream& summary = output.empty() ? std::cerr : std::cout;
    if (output.empty()) {
        std::cout << sol;
    } else {
        std::ofstream out(output, std::ios::binary | std::ios::trunc);
        out << sol;
        out.close();
        if (!out) {
            std::cerr << "error: cannot write " << output << "\n";
            return 1;
        }
    }
    printEvaluation(summary, result.evaluation);
    char line[128];
    std::snprintf(line, sizeof line, "%llu iterations in %.1f s\n", static_cast<unsigned long long>(result.iterations),
                  result.elapsedSeconds);
    summary << line;
    if (!result.evaluation.feasible()) {
        std::cerr << "error: no feasible timetable found for " << input << " within the limits\n";
        return 1;
    }
    return 0;
}

int runCheckCommand(const std::vector<std::string>& args)
{
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << checkUsage;
        return 0;
    }
    if (args.size() != 2) return usageError("check takes two files", checkUsage);
    for (const std::string& arg : args) {
        if (!arg.empty() && arg[0] == '-') return usageError("unknown option " + arg, checkUsage);
    }
    const auto instance = readInstance(args[0]);
    if (!instance) return 1;
    const auto text = readFile(args[1]);
    if (!text) return 1;
    Solution solution;
    try {
        solution = parseSol(*instance, *text);
    } catch (const CttError& e) {
        std::cerr << "error: " << args[1] << ": " << e.what() << "\n";
        return 1;
    }
    const Evaluation evaluation = Evaluator(*instance).evaluate(solution);
    printEvaluation(std::cout, evaluation);
    return evaluation.feasible() ? 0 : 1;
}

} // namespace vtp::courses::timetable
