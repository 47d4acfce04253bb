// libFuzzer entry point. Built once per target with SYNSCOPE_FUZZ_TARGET naming the function.

#include <cstddef>
#include <cstdint>

#include "targets.hpp"

#ifndef SYNSCOPE_FUZZ_TARGET
#error "define SYNSCOPE_FUZZ_TARGET to one of the functions in targets.hpp"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return synscope::fuzz::SYNSCOPE_FUZZ_TARGET(data, size);
}
