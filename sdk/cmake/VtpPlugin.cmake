# vtp_add_plugin(NAME <name> SOURCES <files...> [MIGRATIONS <dir>] [LIBS <libs...>])
#
# Builds <name>.so, the file vtpd loads for `plugins.enabled = ["<name>"]`. MIGRATIONS names a
# folder of NNN_description.sql files (optionally NNN_description.sqlite.sql and
# NNN_description.postgresql.sql for one backend); they are embedded in the library so that the
# plugin is one self-contained file.
function(vtp_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;MIGRATIONS;OUTPUT_DIRECTORY" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "vtp_add_plugin: NAME is required")
  endif()
  set(target vtp_plugin_${ARG_NAME})
  set(sources ${ARG_SOURCES})
  if(ARG_MIGRATIONS)
    get_filename_component(mig_dir ${ARG_MIGRATIONS} ABSOLUTE)
    file(GLOB mig_files CONFIGURE_DEPENDS ${mig_dir}/*.sql)
    set(generated ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cpp)
    add_custom_command(OUTPUT ${generated}
      COMMAND ${CMAKE_COMMAND} -DSQL_DIR=${mig_dir} -DOUTPUT=${generated}
              -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/VtpEmbedMigrations.cmake
      DEPENDS ${mig_files} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/VtpEmbedMigrations.cmake
      COMMENT "Embedding migrations of plugin ${ARG_NAME}")
    list(APPEND sources ${generated})
  endif()
  add_library(${target} MODULE ${sources})
  target_link_libraries(${target} PRIVATE vtp::sdk ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${ARG_NAME}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  if(VTP_WARNINGS)
    # In-tree plugins are held to the kernel's warning level.
    target_compile_options(${target} PRIVATE ${VTP_WARNINGS})
  endif()
  # Refuse undefined symbols at link time rather than at load time.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
endfunction()
