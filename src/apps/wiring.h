// Opens the adapters a config names. The only place that knows which adapter backs a port.
#pragma once

#include <memory>

#include "agent/ingest.h"
#include "apps/config.h"
#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

struct Services {
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<TaskQueue> queue;
  std::unique_ptr<StateStore> state;
};

Result<Services> OpenServices(const Config& config);
// The ingest of the config's pipeline over `services`, on the system clock.
Ingest IngestFor(const Config& config, Services& services);

}  // namespace spotbatch
