# ipchaosRace.cmake: compiling code for `ipchaos run --detect races`.
#
# ipchaos_race_instrument(TARGET) compiles TARGET's own sources with the
# compiler's -fsanitize=thread instrumentation (gcc or clang) but links no
# libtsan: libipchaos.a defines the __tsan_* entry points itself and checks
# only accesses to the run's shared segments. The program then runs as usual,
# and `run --detect races` reports races between its processes. Without
# --detect races the instrumented code runs with a flag test per access.

# The flags alone (the in-tree instrumented scenarios use them too).
function(ic_race_flags target shim)
  # Compile flags only: -fsanitize=thread at link time would pull in libtsan.
  target_compile_options(${target} PRIVATE -fsanitize=thread -include ${shim})
  # gcc warns that it does not instrument atomic_thread_fence (-Wtsan, an error
  # under -Werror): the fence still orders the code; the detector then sees the
  # atomics around it, which is all a data-race report is about.
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-tsan)
  endif()
  # A target cannot mix AddressSanitizer and ThreadSanitizer: keep these objects free of ASan.
  get_target_property(opts ${target} COMPILE_OPTIONS)
  get_directory_property(dir_opts COMPILE_OPTIONS)
  if("${dir_opts}" MATCHES "sanitize=[^;]*address" OR "${CMAKE_C_FLAGS}" MATCHES "sanitize=[^ ]*address")
    target_compile_options(${target} PRIVATE -fno-sanitize=address)
  endif()
endfunction()

function(ipchaos_race_instrument target)
  if(TARGET ipchaos::ipchaos)
    get_target_property(inc ipchaos::ipchaos INTERFACE_INCLUDE_DIRECTORIES)
  endif()
  set(shim "")
  foreach(dir ${inc} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../include ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../../../include)
    string(REGEX REPLACE "^\\$<BUILD_INTERFACE:(.*)>$" "\\1" dir "${dir}")
    string(REGEX REPLACE "^\\$<INSTALL_INTERFACE:.*>$" "" dir "${dir}")
    if(NOT shim AND dir AND EXISTS "${dir}/ipchaos_race.h")
      get_filename_component(shim "${dir}/ipchaos_race.h" ABSOLUTE)
    endif()
  endforeach()
  if(NOT shim)
    message(FATAL_ERROR "ipchaos_race_instrument(${target}): ipchaos_race.h not found beside ipchaos.h")
  endif()
  ic_race_flags(${target} ${shim})
endfunction()
