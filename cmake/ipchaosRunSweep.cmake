# Runs one ipchaos sweep for ipchaos_add_test and judges its outcome.
#   cmake -DIPCHAOS_EXPECT=pass|<checker> -P ipchaosRunSweep.cmake -- COMMAND ARGS...
# The exit code alone cannot say which checker fired, and a bare WILL_FAIL
# would also accept bad usage (2) or a broken harness (3): both are checked.
set(cmd "")
set(after_dashes FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_dashes)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes TRUE)
  endif()
endforeach()
if(NOT cmd OR NOT DEFINED IPCHAOS_EXPECT)
  message(FATAL_ERROR "usage: cmake -DIPCHAOS_EXPECT=pass|CHECKER -P ipchaosRunSweep.cmake -- COMMAND ARGS...")
endif()

string(REPLACE ";" " " shown "${cmd}")
message("${shown}")
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")

if(IPCHAOS_EXPECT STREQUAL "pass")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "expected every run to pass: exit ${rc} (1 a finding, 2 bad usage, 3 harness broken)")
  endif()
  return()
endif()
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "expected a '${IPCHAOS_EXPECT}' finding (exit 1): exit ${rc} "
                      "(0 nothing found, 2 bad usage, 3 harness broken)")
endif()
if(NOT out MATCHES "\n  FAIL ${IPCHAOS_EXPECT}: ")
  message(FATAL_ERROR "exit 1, but no '${IPCHAOS_EXPECT}' finding: another checker fired")
endif()
message("found as expected: ${IPCHAOS_EXPECT}")
