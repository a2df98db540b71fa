#include "db/DatabaseKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addDatabaseKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(keySpec("database.url", T::String, std::string("sqlite:vtp.db"),
                       "sqlite:PATH (relative to storage.data_dir) or postgresql://user:password@host:port/db"));
    schema.add(ranged(keySpec("database.pool_size", T::Integer, int64_t{8}, "Database sessions kept open"), 1, 256));
    schema.add(keySpec("database.migrate_on_start", T::Boolean, true,
                       "Apply pending migrations when vtpd starts (otherwise run `vtpctl migrate`)"));
}

} // namespace vtp::kernel
