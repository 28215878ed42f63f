// The store, queue and state a pipeline folder's runs left behind, opened through the same
// wiring as the spotbatch binary (apps/wiring.h): the embedded adapters, or whatever AWS
// services the folder's sb.toml names. For tests that check what the binary did.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "apps/config.h"
#include "apps/wiring.h"

namespace spotbatch::testing {

struct RunState {
  // `folder` holds sb.toml (or, without one, the embedded defaults: data/ and
  // .spotbatch/spotbatch.db).
  explicit RunState(const std::string& folder) {
    const std::string file = folder + "/sb.toml";
    if (std::filesystem::exists(file)) {
      auto loaded = LoadConfig(file);
      if (!loaded.ok()) ADD_FAILURE() << loaded.status().ToString();
      if (loaded.ok()) config = std::move(*loaded);
    } else {
      config.store_path = folder + "/data";
      config.state_db = folder + "/.spotbatch/spotbatch.db";
    }
    auto opened = OpenServices(config);
    if (!opened.ok()) {
      ADD_FAILURE() << "cannot open the pipeline's services: " << opened.status().ToString();
      return;
    }
    services = std::move(*opened);
    store = services.store.get();
    queue = services.queue.get();
    state = services.state.get();
  }
  Config config;
  Services services;
  ObjectStore* store = nullptr;
  TaskQueue* queue = nullptr;
  StateStore* state = nullptr;
};

}  // namespace spotbatch::testing
