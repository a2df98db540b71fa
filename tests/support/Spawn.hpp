#pragma once
// Starting a child process with its output in a log file, for tests that run real programs.

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace vtp::test {

// Starts `args` (a path, or a name found on PATH) with this process's environment plus `env`,
// stdout and stderr appended to `logPath`. Throws if it cannot be started.
inline pid_t spawnLogged(const std::vector<std::string>& args, const std::string& logPath,
                         const std::map<std::string, std::string>& env = {})
{
    std::vector<std::string> envStrings;
    for (char** e = environ; e && *e; ++e) envStrings.emplace_back(*e);
    for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
    return pid;
}

} // namespace vtp::test
