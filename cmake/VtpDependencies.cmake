# Every dependency comes from Debian 12 packages; ../TOOLCHAIN notes explain the workarounds.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Poco's DataPostgreSQL config links PostgreSQL::client, which Debian never defines.
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()

find_package(Poco 1.11 CONFIG REQUIRED COMPONENTS
  Foundation Net NetSSL Util JSON Crypto JWT Data DataSQLite DataPostgreSQL Redis)
find_package(Boost 1.74 CONFIG REQUIRED COMPONENTS filesystem)
find_package(libwebsockets CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
