#!/bin/sh
# Runs inside the base rootfs (by chroot after debootstrap, or as a RUN step on debian:bookworm-slim):
# installs packages.txt with no service started, no default cluster created, then drops apt's lists and caches.
set -eu
here=$(dirname "$0")
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

rm -f /etc/apt/sources.list
cat > /etc/apt/sources.list.d/debian.sources <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# No daemon may start inside the build; the images start their own process.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
# The postgres entrypoint runs initdb itself, in the volume: no cluster at install time.
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/ess.conf
# Keep images small: no recommends, no suggests, no manuals or translations (copyright files stay).
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > /etc/apt/apt.conf.d/90ess-minimal
cat > /etc/dpkg/dpkg.cfg.d/90ess-slim <<'DPKG'
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
DPKG

# The postgres user gets the official image's ids, so one pilot's secrets folder serves either image
# (ess_ops.deploy.files.hand_to_images); Debian's package keeps an existing postgres user.
groupadd --system --gid 999 postgres
useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --no-create-home --shell /bin/bash postgres

apt-get update -qq
apt-get -y -qq -o Dpkg::Use-Pty=0 upgrade
grep -v '^\s*#' "$here/packages.txt" | xargs apt-get install -y -qq -o Dpkg::Use-Pty=0
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt/* /var/log/dpkg.log
