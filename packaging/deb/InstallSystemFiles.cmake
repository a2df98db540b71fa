# Runs at install time (see VtpPackaging.cmake): writes the config and the systemd unit for
# the prefix being installed to. Inputs: VTP_CONFIG_TEMPLATE, VTP_UNIT_TEMPLATE,
# VTP_INSTALL_BINDIR, VTP_INSTALL_PLUGINDIR (relative to the prefix), VTP_INSTALL_WORKDIR.

# Replaces the one line matching `pattern` (anchored after a newline) or fails, so that a
# change in config/vtpd.toml cannot silently leave a build-tree path in the installed file.
function(vtp_replace_line var pattern replacement)
  string(REGEX MATCHALL "\n${pattern}\n" found "${${var}}")
  list(LENGTH found count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "config/vtpd.toml: expected one line matching '${pattern}', found ${count}")
  endif()
  string(REGEX REPLACE "\n${pattern}\n" "\n${replacement}\n" result "${${var}}")
  set(${var} "${result}" PARENT_SCOPE)
endfunction()

set(prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" prefix "${prefix}")
if(prefix STREQUAL "/usr")
  set(etc_dir "/etc/vtp")
  set(unit_dir "/lib/systemd/system")
else()
  set(etc_dir "${prefix}/etc/vtp")
  set(unit_dir "${prefix}/lib/systemd/system")
endif()
set(bin_dir "${prefix}/${VTP_INSTALL_BINDIR}")
set(plugin_dir "${prefix}/${VTP_INSTALL_PLUGINDIR}")

file(READ "${VTP_CONFIG_TEMPLATE}" config)
set(config "\n${config}")
vtp_replace_line(config "# This copy is set up to run from a built checkout[^\n]*"
  "# This copy was installed with vtpd (prefix ${prefix}); `vtpd --check-config` validates it.")
vtp_replace_line(config "data_dir = \"[^\"\n]*\"" "data_dir = \"/var/lib/vtp\"")
vtp_replace_line(config "dir = \"[^\"\n]*\"" "dir = \"${plugin_dir}\"")
string(SUBSTRING "${config}" 1 -1 config)

file(READ "${VTP_UNIT_TEMPLATE}" unit)
string(REPLACE "ExecStart=/usr/bin/vtpd --config /etc/vtp/vtpd.toml"
  "ExecStart=${bin_dir}/vtpd --config ${etc_dir}/vtpd.toml" unit "${unit}")

file(MAKE_DIRECTORY "${VTP_INSTALL_WORKDIR}")
file(WRITE "${VTP_INSTALL_WORKDIR}/vtpd.toml" "${config}")
file(WRITE "${VTP_INSTALL_WORKDIR}/vtpd.service" "${unit}")

# `cmake --install` over an existing, edited config keeps the operator's file and writes the
# new one beside it. (The package's config is a dpkg conffile; dpkg asks instead.)
set(config_name vtpd.toml)
if(EXISTS "$ENV{DESTDIR}${etc_dir}/vtpd.toml")
  file(READ "$ENV{DESTDIR}${etc_dir}/vtpd.toml" existing)
  if(NOT existing STREQUAL config)
    file(RENAME "${VTP_INSTALL_WORKDIR}/vtpd.toml" "${VTP_INSTALL_WORKDIR}/vtpd.toml.dist")
    set(config_name vtpd.toml.dist)
    message(STATUS "Keeping the existing ${etc_dir}/vtpd.toml; the shipped one is ${config_name}")
  endif()
endif()
# World-readable like any shipped default; the package's postinst narrows it to root:vtp 0640
# (dpkg-statoverride) because operators put database passwords in it.
file(INSTALL DESTINATION "${etc_dir}" TYPE FILE
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  FILES "${VTP_INSTALL_WORKDIR}/${config_name}")
file(INSTALL DESTINATION "${unit_dir}" TYPE FILE
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  FILES "${VTP_INSTALL_WORKDIR}/vtpd.service")
