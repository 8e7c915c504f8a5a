/// @file error.hpp
/// @brief The exceptions the library throws. Every message names what was wrong and
/// what was expected, so a learner can fix the call without reading the library.
#pragma once

#include <stdexcept>

namespace dl {

/// Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when shapes do not fit an op; the message names the op and both shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// Thrown for a missing, truncated or malformed file; the message names the path.
class FileError : public Error {
 public:
  using Error::Error;
};

/// Thrown when a loss becomes NaN or infinite; the message names the step.
class NonFiniteError : public Error {
 public:
  using Error::Error;
};

/// Thrown by an exercise stub (`exercises/`) that the learner has not written yet;
/// the message names the exercise and its file.
class NotImplemented : public Error {
 public:
  using Error::Error;
};

}  // namespace dl
