#pragma once
/// Helpers shared by the fuzz targets.

#include <array>
#include <cstdint>

#include "synscope/core/bytes.hpp"

namespace synscope::fuzz {

/// The link types decode_frame() handles (names.cpp's link_type_supported), then one it does not
/// (DLT_USER0). A fuzz input's selector byte indexes this table modulo its size.
inline constexpr std::array<std::uint32_t, 12> kFuzzDlts = {0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 276, 147};

/// True when `inner` is empty or lies entirely inside `outer`.
inline bool within(Bytes inner, Bytes outer) noexcept {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace synscope::fuzz
