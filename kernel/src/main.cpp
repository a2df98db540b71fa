// vtpd: the VTP kernel. Loads the config, the plugins and the database, serves HTTP and
// WebSockets, and shuts down gracefully on SIGTERM.
#include "config/Config.hpp"
#include "host/ConfigReference.hpp"
#include "host/Kernel.hpp"
#include "host/KernelSchema.hpp"
#include "log/Logger.hpp"
#include "vtp/abi.h"

#include <CLI/CLI.hpp>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <pthread.h>
#include <unistd.h>

#ifndef VTP_VERSION
#define VTP_VERSION "0.0.0"
#endif

namespace {

using namespace vtp::kernel;

// Written to a temporary name and renamed, so a reader never sees half a file.
void writeReadyFile(const std::string& path, uint16_t http, uint16_t ws)
{
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "{\"http\": " << http << ", \"websocket\": " << ws << ", \"pid\": " << ::getpid() << "}\n";
        out.flush();
        if (!out) throw std::runtime_error("cannot write ready file " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"vtpd: the VTP virtual teaching server"};
    std::string configPath = "/etc/vtp/vtpd.toml";
    std::string readyFile;
    bool checkConfig = false;
    bool printReference = false;
    bool printSample = false;
    bool version = false;
    app.add_option("-c,--config", configPath, "Config file (TOML)");
    app.add_flag("--check-config", checkConfig, "Validate the config, print it with secrets masked, and exit");
    app.add_flag("--print-config-reference", printReference,
                 "Print every config key of the kernel and of the enabled plugins as Markdown tables, and exit");
    app.add_flag("--print-sample-config", printSample,
                 "Print the config file annotated: every key of the kernel and of the enabled plugins under its "
                 "description, those the file sets active, the others commented out at their defaults; and exit");
    app.add_flag("--version", version, "Print the kernel and SDK ABI versions");
    app.add_option("--ready-file", readyFile, "Once serving, write {\"http\",\"websocket\",\"pid\"} to this file");
    CLI11_PARSE(app, argc, argv);

    if (version) {
        std::printf("vtpd %s (plugin ABI %d.%d)\n", VTP_VERSION, VTP_ABI_MAJOR, VTP_ABI_MINOR);
        return 0;
    }

    // Signals are taken synchronously by sigwait below; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    Logger log(stderr);
    try {
        Config config = Config::load(configPath, Config::processEnvironment());
        config.validateKernel(kernelSchema());
        LogLevel level = LogLevel::Info;
        parseLogLevel(config.getString("log.level"), level);
        log.setLevel(level);
        const std::string configDir = std::filesystem::absolute(configPath).parent_path().string();
        if (printReference || printSample) {
            std::vector<std::string> skipped;
            std::cout << (printReference ? configReference(config, configDir, skipped)
                                         : sampleConfig(config, configPath, configDir, skipped));
            for (const auto& s : skipped) std::cerr << "plugin " << s << " (left out)\n";
            return skipped.empty() ? 0 : 1;
        }

        Kernel kernel(std::move(config), configDir, log, Kernel::Mode::Server);
        kernel.loadPlugins();
        if (checkConfig) {
            std::cout << kernel.config().effectiveToml();
            // A plugin that cannot even load is an error in what the operator asked for.
            int refused = 0;
            for (const auto& s : kernel.pluginStatus())
                if (s.state == "refused") {
                    std::cerr << "plugin " << s.name << " would be refused (" << s.refusal << "): " << s.reason << "\n";
                    ++refused;
                }
            return refused ? 1 : 0;
        }
        kernel.openDatabase();
        if (kernel.config().getBool("database.migrate_on_start")) kernel.migrate(true);
        kernel.initPlugins();
        kernel.startPlugins();
        kernel.startServers();
        if (!readyFile.empty()) writeReadyFile(readyFile, kernel.httpPort(), kernel.wsPort());
        sd_notify(0, "READY=1");
        log.info("kernel", "vtpd started", {{"version", VTP_VERSION}, {"pid", std::to_string(::getpid())}});

        int sig = 0;
        sigwait(&signals, &sig);
        sd_notify(0, "STOPPING=1");
        log.info("kernel", "shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        const bool drained = kernel.shutdown();
        log.info("kernel", "stopped", {{"drained", drained ? "true" : "false"}});
        if (!drained) {
            // A handler is stuck past the deadline: do not run destructors under its feet.
            std::fflush(nullptr);
            std::_Exit(0);
        }
        return 0;
    } catch (const ConfigError& e) {
        if (checkConfig || printSample || printReference) {
            for (const auto& issue : e.issues()) std::cerr << issue.format() << "\n";
        }
        for (const auto& issue : e.issues()) log.error("config", issue.format());
        return 1;
    } catch (const std::exception& e) {
        log.error("kernel", "cannot start", {{"error", e.what()}});
        return 1;
    }
}
