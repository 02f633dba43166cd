// A value or an error message, for the standalone bench tools. They report
// every error to a person on the terminal, so a message is all they need.

#ifndef UPTAKE_BENCH_RESULT_H_
#define UPTAKE_BENCH_RESULT_H_

#include <string>
#include <utility>
#include <variant>

namespace uptake {

template <typename T>
class [[nodiscard]] Result {
 public:
  static Result Ok(T value) { return Result(std::in_place_index<0>, std::move(value)); }
  static Result Error(std::string message) {
    return Result(std::in_place_index<1>, std::move(message));
  }

  bool ok() const { return state_.index() == 0; }

  // Callers check ok() first. Calling the wrong accessor throws
  // std::bad_variant_access.
  const T& value() const { return std::get<0>(state_); }
  T& value() { return std::get<0>(state_); }
  const std::string& error() const { return std::get<1>(state_); }

 private:
  template <size_t kIndex, typename Arg>
  Result(std::in_place_index_t<kIndex> index, Arg&& arg) : state_(index, std::forward<Arg>(arg)) {}

  std::variant<T, std::string> state_;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_RESULT_H_
