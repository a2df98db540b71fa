#pragma once

// The ingest worker's listening half: waits for a publisher on the RTMP or SRT listener, lets in
// only one presenting the stream key (PublisherGate), refuses the others and listens again,
// checks the source against the limits, decodes it and feeds the ladder until the publisher goes.
// One session a process; its reports go to standard output, one JSON line each.

#include "IngestOptions.hpp"
#include "PublisherGate.hpp"

namespace vtp::streaming::ingest {

// Runs until the stream has ended (or no publisher came); returns the process's exit code:
// 0 when a stream ran and ended, 1 when none came (idle timeout), 2 on a failure of the worker.
int runIngest(const IngestOptions& options, PublisherGate& gate);

} // namespace vtp::streaming::ingest
