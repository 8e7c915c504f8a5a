# Test helpers shared by tests/ and the chapters (Catch2 2.x from Debian).
find_package(Catch2 2 REQUIRED)
include(Catch)

# Catch2's main() is the slowest file to compile: build it once for every test program.
add_library(catch_main OBJECT "${PROJECT_SOURCE_DIR}/tests/catch_main.cpp")
target_link_libraries(catch_main PUBLIC Catch2::Catch2)

# dl_add_test(<target> LABEL <label> SOURCES <files...> [LIBS <libs...>])
# One executable; each of its TEST_CASEs becomes a ctest test carrying LABEL,
# so that `ctest -L gradcheck` runs the gradient checks alone.
function(dl_add_test target)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${T_SOURCES})
  target_link_libraries(${target} PRIVATE catch_main dl::dl ${T_LIBS})
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  catch_discover_tests(${target} PROPERTIES LABELS "${T_LABEL}")
endfunction()
