# -DVTP_SANITIZE=address,undefined builds everything below the top-level project (kernel, plugins,
# SDK examples, tests, ABI fixtures) and the fuzz project with those sanitizers: a sanitizer
# only sees memory its own runtime tracks, so a plugin built without it hides its errors.
set(VTP_SANITIZE "" CACHE STRING "Sanitizers for -fsanitize= (e.g. address,undefined); empty for none")

if(VTP_SANITIZE)
  string(REPLACE "," ";" _vtp_sanitizers "${VTP_SANITIZE}")
  # Frame pointers give the fast unwinder whole stacks through our code at every malloc.
  set(_vtp_sanitize_flags -fsanitize=${VTP_SANITIZE} -fno-omit-frame-pointer)
  if("undefined" IN_LIST _vtp_sanitizers)
    # UBSan otherwise prints and carries on, and the test passes: make each finding fatal.
    list(APPEND _vtp_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  # -O1 -g1 after the build type's flags: the sanitizers' usual optimisation level, with line
  # tables enough for their stacks; it compiles markedly faster than -O2 -g on two cores.
  add_compile_options(${_vtp_sanitize_flags} -O1 -g1)
  add_link_options(-fsanitize=${VTP_SANITIZE})
  # The loader pins plugins in memory (RTLD_NODELETE) so that reports at exit, leaks above all,
  # still name the functions of plugins vtpd has already closed.
  add_compile_definitions(VTP_SANITIZED_BUILD=1)

  # The runtime options (cmake/VtpSanitizerOptions.c) are compiled into every executable, so
  # tests, the vtpd they start and a vtpd run by hand all behave alike without ASAN_OPTIONS;
  # an ASAN_OPTIONS/LSAN_OPTIONS/UBSAN_OPTIONS in the environment still overrides them.
  add_library(vtp_sanitizer_options OBJECT ${CMAKE_CURRENT_LIST_DIR}/VtpSanitizerOptions.c)
  target_compile_definitions(vtp_sanitizer_options PRIVATE
    VTP_LSAN_SUPPRESSIONS="${PROJECT_SOURCE_DIR}/tests/sanitize/lsan.supp"
    VTP_UBSAN_SUPPRESSIONS="${PROJECT_SOURCE_DIR}/tests/sanitize/ubsan.supp")
  message(STATUS "Sanitizers: ${VTP_SANITIZE}")
endif()

# Called once at the end of the top-level CMakeLists.txt: links the runtime options into every
# executable target of the tree.
function(vtp_sanitize_executables dir)
  if(NOT VTP_SANITIZE)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    get_target_property(imported ${t} IMPORTED)
    if(type STREQUAL "EXECUTABLE" AND NOT imported)
      target_link_libraries(${t} PRIVATE vtp_sanitizer_options)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    vtp_sanitize_executables(${sub})
  endforeach()
endfunction()
