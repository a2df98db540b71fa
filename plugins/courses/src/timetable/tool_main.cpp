// vtp_timetable: the timetable commands without vtpd or vtpctl, for the benchmark script.
#include "timetable/Commands.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    const std::string usage = "usage: vtp_timetable solve FILE.ctt [options] | vtp_timetable check FILE.ctt FILE.sol\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "solve") return vtp::courses::timetable::runSolveCommand(args);
        if (command == "check") return vtp::courses::timetable::runCheckCommand(args);
        if (command == "--help" || command == "-h") {
            std::cout << usage;
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "error: unknown command " << command << "\n" << usage;
    return 2;
}
