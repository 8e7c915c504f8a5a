/// @file dl.hpp
/// @brief Everything a chapter program needs in one include: `#include <dl/dl.hpp>`.
#pragma once

#include "dl/conv.hpp"
#include "dl/data.hpp"
#include "dl/io.hpp"
#include "dl/json.hpp"
#include "dl/nn.hpp"
#include "dl/ops.hpp"
#include "dl/optim.hpp"
#include "dl/rnn.hpp"
#include "dl/tensor.hpp"
#include "dl/text.hpp"
#include "dl/train.hpp"
#include "dl/util.hpp"
