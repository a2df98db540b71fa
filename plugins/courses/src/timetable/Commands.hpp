#pragma once

#include <string>
#include <vector>

// The `timetable solve` and `timetable check` commands, for vtpctl and the vtp_timetable tool.
// Each takes the arguments after its own name, prints to stdout and stderr, and returns the exit
// code: 0 success (a feasible timetable), 1 failure (unreadable or malformed file, over-constrained
// instance, no feasible timetable), 2 a usage error.
namespace vtp::courses::timetable {

// solve FILE.ctt [--time-limit S] [--iterations N] [--seed N] [--threads N] [-o FILE.sol] [--quiet]
// Writes the timetable to FILE.sol (stdout without -o) and a summary to stdout (stderr without -o);
// progress goes to stderr unless --quiet. Defaults: 60 s, seed 1, 2 threads.
int runSolveCommand(const std::vector<std::string>& args);

// check FILE.ctt FILE.sol: prints hard violations by kind and the UD2 soft cost by component.
int runCheckCommand(const std::vector<std::string>& args);

} // namespace vtp::courses::timetable
