// Section 3b of bench/SIMULATE.md: the bag of tasks of section 3 on pools that differ in price
// and interruption band, as the SpotLake snapshot and the Spot Instance Advisor give them.
#pragma once

#include <string>

namespace spotbatch {

void DifferingPoolsTable(const std::string& data, int runs);

}  // namespace spotbatch
