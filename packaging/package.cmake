# The Debian package (cpack -G DEB in the build folder, or scripts/package):
# cassetto-kiosk_VERSION_amd64.deb with the binary, the units, the udev rule,
# Chromium's policies and kiosk.conf as a conffile. Maintainer scripts and
# the documentation Debian requires are in packaging/debian/.
set(KIOSK_PKG ${PROJECT_SOURCE_DIR}/packaging/debian)
set(KIOSK_FW ${PROJECT_SOURCE_DIR}/firmware-config)

install(TARGETS cassetto-kiosk RUNTIME DESTINATION bin)
# kiosk.conf as installed: the data in /var/lib/cassetto-kiosk, the USB
# stick where cassetto-usb@.service mounts it.
file(READ ${KIOSK_FW}/kiosk.conf KIOSK_CONF)
string(REPLACE "url = var/kiosk.db" "url = /var/lib/cassetto-kiosk/kiosk.db" KIOSK_CONF "${KIOSK_CONF}")
string(REGEX REPLACE "\n\\[usb\\]([^[]*)\nmount =\n" "\n[usb]\\1\nmount = /media/kiosk-usb\n" KIOSK_CONF "${KIOSK_CONF}")
file(WRITE ${PROJECT_BINARY_DIR}/package/kiosk.conf "${KIOSK_CONF}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${KIOSK_FW}/kiosk.conf)
install(FILES ${PROJECT_BINARY_DIR}/package/kiosk.conf DESTINATION /etc/cassetto-kiosk
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${KIOSK_FW}/chromium-policy.json DESTINATION /etc/chromium/policies/managed
        RENAME cassetto-kiosk.json)
install(FILES ${KIOSK_FW}/systemd/cassetto-kiosk.service
              ${KIOSK_FW}/systemd/cassetto-kiosk-browser.service
              ${KIOSK_FW}/systemd/cassetto-kiosk-backup.service
              ${KIOSK_FW}/systemd/cassetto-kiosk-backup.timer
              ${KIOSK_FW}/usb/cassetto-usb@.service
        DESTINATION /lib/systemd/system)
install(FILES ${KIOSK_FW}/usb/99-cassetto-usb.rules DESTINATION /lib/udev/rules.d)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${KIOSK_PKG}/copyright
        DESTINATION share/doc/cassetto-kiosk)
# Provisioning travels with the package: the script and its example values.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/provision DESTINATION share/cassetto-kiosk)
install(FILES ${KIOSK_FW}/provision/branch-kiosk.conf ${KIOSK_FW}/provision/staff-server.conf
        DESTINATION share/doc/cassetto-kiosk/examples)
# Debian wants the changelog compressed with gzip -9n.
set(KIOSK_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${KIOSK_CHANGELOG_GZ}
  COMMAND gzip -9nc ${KIOSK_PKG}/changelog > ${KIOSK_CHANGELOG_GZ}
  DEPENDS ${KIOSK_PKG}/changelog VERBATIM)
add_custom_target(kiosk_changelog ALL DEPENDS ${KIOSK_CHANGELOG_GZ})
install(FILES ${KIOSK_CHANGELOG_GZ} DESTINATION share/doc/cassetto-kiosk)
set(KIOSK_MAN_GZ ${PROJECT_BINARY_DIR}/cassetto-kiosk.1.gz)
add_custom_command(OUTPUT ${KIOSK_MAN_GZ}
  COMMAND gzip -9nc ${KIOSK_PKG}/cassetto-kiosk.1 > ${KIOSK_MAN_GZ}
  DEPENDS ${KIOSK_PKG}/cassetto-kiosk.1 VERBATIM)
add_custom_target(kiosk_manpage ALL DEPENDS ${KIOSK_MAN_GZ})
install(FILES ${KIOSK_MAN_GZ} DESTINATION share/man/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cassetto-kiosk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "Cassetto Kiosk <cassetto-kiosk@inps.example.it>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "INPS Cassetto previdenziale kiosk (Comunicazione Bidirezionale)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "A self-service terminal for INPS branch offices: professionals of the\nGestione Separata write to the Institute, attach scanned or USB documents,\nget a signed receipt and read the replies; counter staff answer at a desk.\nThis package holds the server, its hardened systemd unit, the kiosk screen\n(Chromium under cage), the USB stick mount and Chromium's policies.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# fonts-liberation2: Liberation Sans has Helvetica's and Arial's metrics, so
# the kiosk's own PDF viewer lays the receipt's base-14 text out as printed.
# debconf: purge asks whether the data goes too (postrm, templates).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "adduser, curl, poppler-utils, fonts-liberation2, debconf (>= 0.5) | debconf-2.0")
# What a kiosk itself uses: the screen (cage, chromium), the printer's CUPS and
# the clock. The program links libcups and libsane itself; scanimage and the
# lp commands are a technician's to add.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cage, chromium, cups, systemd-timesyncd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx-light | stunnel4, nftables")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${KIOSK_PKG}/conffiles ${KIOSK_PKG}/preinst ${KIOSK_PKG}/postinst ${KIOSK_PKG}/prerm
  ${KIOSK_PKG}/postrm ${KIOSK_PKG}/templates ${KIOSK_PKG}/config)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
include(CPack)
