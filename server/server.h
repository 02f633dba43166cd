// The uptake server: opens storage, rebuilds the aggregates, and serves
// HTTP and WebSocket clients until it is stopped.

#ifndef UPTAKE_SERVER_SERVER_H_
#define UPTAKE_SERVER_SERVER_H_

#include "config/config.h"

namespace uptake {

// Runs the server with `config` until SIGINT or SIGTERM. Returns the
// process exit code: 0 after a clean stop, 1 when startup fails (the reason
// is logged).
int RunServer(const Config& config);

}  // namespace uptake

#endif  // UPTAKE_SERVER_SERVER_H_
