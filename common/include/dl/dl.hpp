#pragma once
/// @file dl.hpp
/// @brief Everything a chapter program needs: `#include <dl/dl.hpp>`.
#include "dl/ops.hpp"
#include "dl/tensor.hpp"
