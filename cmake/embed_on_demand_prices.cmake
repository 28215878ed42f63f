# Turns the shipped on-demand price table (data/market/ondemand_linux.csv) into a C++ source
# file with a constant table, so that the program knows the prices without the source tree or
# any data folder at run time. Run at build time (script mode):
#   cmake -DIN=data/market/ondemand_linux.csv -DOUT=.../on_demand_price_table.cc -P this-file
# A malformed row stops the build naming the file and line: a table that builds is one the
# lookup can trust.
cmake_minimum_required(VERSION 3.20)

if(NOT DEFINED IN OR NOT DEFINED OUT)
  message(FATAL_ERROR "usage: cmake -DIN=CSV -DOUT=CC -P embed_on_demand_prices.cmake")
endif()

file(STRINGS "${IN}" lines)
list(LENGTH lines count)
if(count LESS 2)
  message(FATAL_ERROR "${IN}: no prices")
endif()
list(GET lines 0 header)
if(NOT header STREQUAL "region,instance_type,usd_per_hour")
  message(FATAL_ERROR "${IN}:1: header must be region,instance_type,usd_per_hour")
endif()
list(REMOVE_AT lines 0)

set(rows "")
set(line_number 1)
foreach(line IN LISTS lines)
  math(EXPR line_number "${line_number} + 1")
  if(NOT line MATCHES "^([a-z0-9-]+),([a-z0-9.-]+),([0-9]+(\\.[0-9]+)?)$")
    message(FATAL_ERROR "${IN}:${line_number}: expected region,instance_type,usd_per_hour "
                        "(lower-case names, a non-negative decimal price): \"${line}\"")
  endif()
  set(region "${CMAKE_MATCH_1}")
  set(type "${CMAKE_MATCH_2}")
  set(price "${CMAKE_MATCH_3}")
  if(DEFINED seen_${region}_${type})
    message(FATAL_ERROR "${IN}:${line_number}: ${region} ${type} is listed twice "
                        "(first on line ${seen_${region}_${type}})")
  endif()
  set(seen_${region}_${type} ${line_number})
  string(APPEND rows "    {\"${region}\", \"${type}\", ${price}},\n")
endforeach()

file(WRITE "${OUT}"
  "// Generated at build time by cmake/embed_on_demand_prices.cmake from\n"
  "// data/market/ondemand_linux.csv: do not edit; edit the CSV (see data/README.md).\n"
  "#include \"core/on_demand_prices.h\"\n"
  "\n"
  "namespace spotbatch {\n"
  "namespace {\n"
  "\n"
  "constexpr OnDemandRate kRates[] = {\n"
  "${rows}"
  "};\n"
  "\n"
  "}  // namespace\n"
  "\n"
  "std::span<const OnDemandRate> ShippedOnDemandRates() { return kRates; }\n"
  "\n"
  "}  // namespace spotbatch\n")
