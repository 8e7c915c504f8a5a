/// @file app.hpp
/// @brief `dl::app`, what chapter programs need around the math, in one include:
/// the command line and exit codes (`program.hpp`), result files (`results.hpp`),
/// progress and time (`progress.hpp`), the build record (`build_info.hpp`), and the
/// classification chapters' shared loop (`classify.hpp`).
#pragma once

#include "dl/app/build_info.hpp"
#include "dl/app/classify.hpp"
#include "dl/app/program.hpp"
#include "dl/app/progress.hpp"
#include "dl/app/results.hpp"
