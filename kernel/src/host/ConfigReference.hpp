#pragma once

#include "config/Config.hpp"
#include "config/ConfigSchema.hpp"

#include <string>
#include <vector>

namespace vtp::kernel {

// A Markdown table of a schema's keys: key, type, default, meaning. Generated rather than
// written by hand so that docs/operators.md cannot drift from the code.
std::string configReferenceTable(const ConfigSchema& schema);

// `vtpd --print-config-reference`: the kernel's keys, then one table per enabled plugin that
// loads from plugins.dir (relative to `configDir`). A plugin that cannot be opened is left out
// and named in `skipped` as "NAME: REASON". `config` must have passed validateKernel.
std::string configReference(const Config& config, const std::string& configDir, std::vector<std::string>& skipped);

// `vtpd --print-sample-config`: an annotated TOML file with every key of the kernel and of each
// enabled plugin that loads (others as for configReference), each under its description. A key
// the file `configPath` sets is active with the file's value (not an environment override's);
// every other key is commented out at its default ("#key = value"). The file's opening comment
// block is kept. Validates the plugins' tables (throws ConfigError), like vtpd's start.
std::string sampleConfig(Config& config, const std::string& configPath, const std::string& configDir, std::vector<std::string>& skipped);

} // namespace vtp::kernel
