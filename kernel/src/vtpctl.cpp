// vtpctl: the operators' command line. Works on the same config and database as vtpd,
// without a running server: plugin status, migrations, and commands that plugins add.
#include "config/Config.hpp"
#include "host/Kernel.hpp"
#include "host/KernelSchema.hpp"
#include "log/Logger.hpp"
#include "vtp/abi.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

namespace {

using namespace vtp::kernel;

// The config path must be known before plugins can add their subcommands, so find it first.
std::string findConfigArg(int argc, char** argv)
{
    std::string path = "/etc/vtp/vtpd.toml";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "-c" || a == "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (a.rfind("--config=", 0) == 0)
            path = a.substr(9);
    }
    return path;
}

} // namespace

int main(int argc, char** argv)
{
    const std::string configPath = findConfigArg(argc, argv);
    Logger log(stderr);
    log.setLevel(LogLevel::Warn); // vtpctl's own output is for people; only problems are logged

    std::unique_ptr<Kernel> kernel;
    std::string loadError;
    try {
        Config config = Config::load(configPath, Config::processEnvironment());
        config.validateKernel(kernelSchema());
        const std::string configDir = std::filesystem::absolute(configPath).parent_path().string();
        kernel = std::make_unique<Kernel>(std::move(config), configDir, log, Kernel::Mode::Cli);
        kernel->loadPlugins();
        kernel->openDatabase();
    } catch (const ConfigError& e) {
        for (const auto& issue : e.issues()) std::cerr << issue.format() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "vtpctl: " << e.what() << "\n";
        return 1;
    }

    CLI::App app{"vtpctl: administer a VTP installation"};
    std::string unused;
    app.add_option("-c,--config", unused, "Config file (TOML)")->default_str(configPath);
    app.require_subcommand(1);

    auto* plugins = app.add_subcommand("plugins", "List enabled plugins with version, ABI and status");
    auto* migrate = app.add_subcommand("migrate", "Apply pending migrations (or list them with --dry-run)");
    bool dryRun = false;
    migrate->add_flag("--dry-run", dryRun, "Only show what is applied and what is pending");

    // Plugin subcommands: "user create" becomes `vtpctl user create ARGS...`.
    struct Pending {
        const CliCommand* command;
        CLI::App* app;
        std::vector<std::string> args;
    };
    std::vector<std::unique_ptr<Pending>> pending;
    // Commands come from plugins' init(); run it now in CLI mode (no servers are started).
    kernel->initPlugins();
    for (const auto& cmd : kernel->cliCommands()) {
        CLI::App* parent = &app;
        for (size_t i = 0; i < cmd.words.size(); ++i) {
            CLI::App* existing = nullptr;
            try {
                existing = parent->get_subcommand(cmd.words[i]);
            } catch (const CLI::OptionNotFound&) {
            }
            if (!existing) {
                const bool leaf = i + 1 == cmd.words.size();
                existing =
                    parent->add_subcommand(cmd.words[i], leaf ? cmd.summary + (cmd.usage.empty() ? "" : "  (" + cmd.usage + ")") : "");
                if (!leaf) existing->require_subcommand(1);
            }
            parent = existing;
        }
        auto p = std::make_unique<Pending>(Pending{&cmd, parent, {}});
        parent->allow_extras();
        parent->prefix_command();
        pending.push_back(std::move(p));
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    if (plugins->parsed()) {
        std::printf("%-16s %-10s %-5s %-10s %s\n", "NAME", "VERSION", "ABI", "STATE", "REASON");
        int refused = 0;
        for (const auto& s : kernel->pluginStatus()) {
            std::printf("%-16s %-10s %-5s %-10s %s\n", s.name.c_str(), s.version.empty() ? "-" : s.version.c_str(),
                        s.abi.empty() ? "-" : s.abi.c_str(), s.state == "initialised" ? "ok" : s.state.c_str(), s.reason.c_str());
            refused += s.state == "refused";
        }
        std::printf("kernel ABI %d.%d\n", VTP_ABI_MAJOR, VTP_ABI_MINOR);
        return refused ? 3 : 0;
    }
    if (migrate->parsed()) {
        try {
            if (dryRun) {
                const auto records = kernel->migrate(false);
                for (const auto& r : records)
                    std::printf("%-16s %5lld  %-40s %s\n", r.owner.c_str(), static_cast<long long>(r.version), r.name.c_str(),
                                r.applied ? "applied" : "pending");
                return 0;
            }
            const auto applied = kernel->migrate(true);
            for (const auto& r : applied)
                std::printf("applied %s %lld %s\n", r.owner.c_str(), static_cast<long long>(r.version), r.name.c_str());
            if (applied.empty()) std::printf("nothing to apply\n");
            return 0;
        } catch (const std::exception& e) {
            std::cerr << "vtpctl: " << e.what() << "\n";
            return 1;
        }
    }
    for (const auto& p : pending) {
        if (!p->app->parsed()) continue;
        // A plugin's command works on its tables, so they must exist even before vtpd first ran
        // (`vtpctl user create` is how the first admin of a fresh install is made).
        try {
            for (const auto& r : kernel->migrate(true))
                std::fprintf(stderr, "applied migration %s %lld %s\n", r.owner.c_str(), static_cast<long long>(r.version), r.name.c_str());
        } catch (const std::exception& e) {
            std::cerr << "vtpctl: " << e.what() << "\n";
            return 1;
        }
        std::vector<std::string> args = p->app->remaining();
        std::vector<const char*> cargs;
        for (const auto& a : args) cargs.push_back(a.c_str());
        return p->command->run(p->command->userData, static_cast<int>(cargs.size()), cargs.data());
    }
    std::cerr << app.help();
    return 2;
}
