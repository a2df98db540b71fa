# Install rules for the system files (config, systemd unit, docs) and the CPack setup of the
# Debian package. `cpack -G DEB` in a build tree (or `cmake --build BUILD --target package`)
# writes vtp_<version>_<arch>.deb.
#
# The config and the unit are generated when installing, not when configuring: their paths
# follow the prefix in effect at install time (`cmake --install --prefix`, or /usr for the
# package). Prefix /usr puts them in /etc/vtp and /lib/systemd/system; any other prefix P in
# P/etc/vtp and P/lib/systemd/system.

install(CODE "
  set(VTP_CONFIG_TEMPLATE \"${PROJECT_SOURCE_DIR}/config/vtpd.toml\")
  set(VTP_UNIT_TEMPLATE \"${PROJECT_SOURCE_DIR}/packaging/systemd/vtpd.service\")
  set(VTP_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(VTP_INSTALL_PLUGINDIR \"${VTP_PLUGIN_INSTALL_DIR}\")
  set(VTP_INSTALL_WORKDIR \"${CMAKE_CURRENT_BINARY_DIR}/vtp-system-files\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/InstallSystemFiles.cmake\")
")
install(FILES
  ${PROJECT_SOURCE_DIR}/README.md
  ${PROJECT_SOURCE_DIR}/docs/operators.md
  ${PROJECT_SOURCE_DIR}/docs/plugin-authors.md
  ${PROJECT_SOURCE_DIR}/docs/architecture.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package always installs under /usr, whatever prefix the tree was configured with. The
# plugin directory compiled into vtpd (the default of plugins.dir) follows the configured
# prefix, so configure with -DCMAKE_INSTALL_PREFIX=/usr to make that default right too; the
# installed /etc/vtp/vtpd.toml names the plugin directory explicitly either way.
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "Packaging: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; a .deb built from this tree "
                 "has vtpd's compiled-in plugin directory ${CMAKE_INSTALL_FULL_LIBDIR}/vtp/plugins")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vtp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "VTP")
set(CPACK_PACKAGE_CONTACT "VTP maintainers <vtp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "vtpd, a self-hosted server for virtual teaching, with vtpctl, the in-tree plugins, the systemd unit and the plugin SDK (C ABI header, C++ layer, CMake package vtp-sdk).")
# Install into a staging DESTDIR with the real prefix, so that the absolute destinations of
# the system files (/etc, /lib/systemd) land inside the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not found by dpkg-shlibdeps: the maintainer scripts create the system user with adduser,
# libwebsockets loads its libev glue (the WebSocket server's epoll loop) with dlopen, and the
# courses plugin reads time zones from tzdata's files.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libwebsockets-evlib-ev, tzdata")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libpoco-dev, cmake, g++")

set(VTP_DEB_CONTROL_DIR ${CMAKE_CURRENT_BINARY_DIR}/vtp-deb-control)
file(MAKE_DIRECTORY ${VTP_DEB_CONTROL_DIR})
file(WRITE ${VTP_DEB_CONTROL_DIR}/conffiles "/etc/vtp/vtpd.toml\n")
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${script} ${VTP_DEB_CONTROL_DIR}/${script} COPYONLY
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${VTP_DEB_CONTROL_DIR}/conffiles ${VTP_DEB_CONTROL_DIR}/postinst
  ${VTP_DEB_CONTROL_DIR}/prerm ${VTP_DEB_CONTROL_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
