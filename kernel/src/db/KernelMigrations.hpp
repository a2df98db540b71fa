#pragma once

#include "db/Migrator.hpp"

#include <vector>

namespace vtp::kernel {

// The owner name under which the kernel's own tables are recorded in vtp_migrations.
inline constexpr const char* kKernelMigrationOwner = "kernel";

// The kernel's own migrations (its tables: jobs, events, ...), the SQL chosen for `dialect`.
// Kernel::migrate applies them before any plugin's. Each subsystem keeps its migrations in its
// own version block (see KernelMigrations.cpp) so that concerns never contend for a number.
std::vector<Migration> kernelMigrations(Dialect dialect);

} // namespace vtp::kernel
