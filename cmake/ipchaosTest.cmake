# ipchaos_add_test: a seed sweep of ipchaos scenarios as one CTest test.
#
#   ipchaos_add_test(NAME name SCENARIO spec...
#                    [SEEDS n] [SEED s] [INJECT injector...] [PROCS p] [OPS n]
#                    [COMMAND exe-or-target] [ARGS extra-arg...]
#                    [EXPECT pass|<checker>])
#
# Runs `COMMAND run spec... --inject i... --seeds n ...`. COMMAND is the
# program whose ic_main() knows the scenarios: a target of this project (a
# user's scenario binary) or a path; by default the ipchaos command itself.
#
# EXPECT pass (the default): the test passes when the sweep exits 0.
# EXPECT <checker> (counter, messages, dead-holder, hang, ...): the test passes
# only when the sweep exits 1 with a finding of that checker, so a planted bug
# must be found by the right checker; bad usage (exit 2), a broken harness
# (exit 3) or another checker's finding fail the test.
set(_IPCHAOS_RUN_SWEEP "${CMAKE_CURRENT_LIST_DIR}/ipchaosRunSweep.cmake")

function(ipchaos_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;SEEDS;SEED;PROCS;OPS;COMMAND;EXPECT"
                        "SCENARIO;INJECT;ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ipchaos_add_test: unknown argument(s) '${arg_UNPARSED_ARGUMENTS}' "
                        "(valid: NAME SCENARIO SEEDS SEED INJECT PROCS OPS COMMAND ARGS EXPECT)")
  endif()
  if(NOT arg_NAME OR NOT arg_SCENARIO)
    message(FATAL_ERROR "ipchaos_add_test: NAME and SCENARIO are required")
  endif()
  if(NOT DEFINED arg_EXPECT)
    set(arg_EXPECT pass)
  endif()
  if(NOT arg_EXPECT MATCHES "^[a-z][a-z-]*$")
    message(FATAL_ERROR "ipchaos_add_test(${arg_NAME}): EXPECT '${arg_EXPECT}' "
                        "(valid: pass, or a checker name such as counter, messages, dead-holder)")
  endif()
  if(NOT arg_COMMAND)
    if(TARGET ipchaos::cli)
      set(arg_COMMAND ipchaos::cli)
    else()
      message(FATAL_ERROR "ipchaos_add_test(${arg_NAME}): no COMMAND and no ipchaos::cli target")
    endif()
  endif()
  if(TARGET ${arg_COMMAND})
    set(exe "$<TARGET_FILE:${arg_COMMAND}>")
  else()
    set(exe "${arg_COMMAND}")
  endif()

  set(cmd ${exe} run ${arg_SCENARIO})
  foreach(inj IN LISTS arg_INJECT)
    list(APPEND cmd --inject ${inj})
  endforeach()
  foreach(opt SEEDS SEED PROCS OPS)
    if(DEFINED arg_${opt})
      string(TOLOWER ${opt} flag)
      list(APPEND cmd --${flag} ${arg_${opt}})
    endif()
  endforeach()
  list(APPEND cmd ${arg_ARGS})

  add_test(NAME ${arg_NAME}
           COMMAND ${CMAKE_COMMAND} -DIPCHAOS_EXPECT=${arg_EXPECT} -P ${_IPCHAOS_RUN_SWEEP} -- ${cmd})
  set_property(TEST ${arg_NAME} APPEND PROPERTY LABELS ipchaos)
endfunction()
