#pragma once
/// Result<T, E>: a tiny std::expected look-alike (g++ 12 / clang 14 have no usable <expected> in C++20).

#include <cassert>
#include <type_traits>
#include <utility>

namespace synscope {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
constexpr Unexpected<E> unexpected(E e) noexcept {
  return Unexpected<E>{e};
}

/// Holds either a value or an error. T must be default-constructible (views and small structs are).
template <class T, class E>
class Result {
 public:
  static_assert(std::is_default_constructible_v<T>, "Result<T, E> needs a default-constructible T");
  constexpr Result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT(google-explicit-constructor)
      : value_(std::move(value)), ok_(true) {}
  constexpr Result(Unexpected<E> err) noexcept  // NOLINT(google-explicit-constructor)
      : error_(err.error), ok_(false) {}

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] constexpr const T& value() const& noexcept {
    assert(ok_);
    return value_;
  }
  [[nodiscard]] constexpr T& value() & noexcept {
    assert(ok_);
    return value_;
  }
  [[nodiscard]] constexpr E error() const noexcept {
    assert(!ok_);
    return error_;
  }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T* operator->() const noexcept { return &value_; }
  constexpr T* operator->() noexcept { return &value_; }

 private:
  T value_{};
  E error_{};
  bool ok_;
};

}  // namespace synscope
