#pragma once

#include <string>

namespace vtp::kernel {

// A random (version 4) UUID in its 36-character text form, from the kernel's random bytes
// (getrandom(), drawn 4 KiB at a time per thread). Poco's
// UUIDGenerator opens, reads and closes /dev/urandom under a global mutex for each UUID, which was a
// sixth of a /health request and a tenth of the chat store's thread (one event per chat message).
std::string randomUuid();

} // namespace vtp::kernel
