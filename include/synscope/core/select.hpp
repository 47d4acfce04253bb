#pragma once
/// A branch-free conditional for the hot paths.

#include <type_traits>

namespace synscope {

/// `c ? a : b` with a mask instead of a branch, for choices that depend on the data (a packet's
/// direction, data or not, which heap child is smallest) and so defeat the branch predictor; GCC turns a
/// plain conditional back into a branch.
template <class T>
constexpr T select(bool c, T a, T b) noexcept {
  static_assert(std::is_unsigned_v<T>);
  return static_cast<T>(b ^ ((a ^ b) & (T{0} - static_cast<T>(c))));
}

}  // namespace synscope
