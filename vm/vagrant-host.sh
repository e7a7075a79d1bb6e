#!/usr/bin/env bash
# Prepares this machine (Debian 12, root) for the Vagrant path: installs Vagrant, the libvirt
# provider, libvirt with QEMU, debootstrap (for vm/vagrant-box.sh) and rsync (the synced folder),
# lets libvirt's QEMU run as root (the project and the box live under /root or root-owned dirs),
# and starts virtlogd and libvirtd when no init system does. Idempotent.
set -euo pipefail

log() { echo "vagrant-host: $*" >&2; }
[[ $(id -u) == 0 ]] || { log "run as root"; exit 1; }

pkgs=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
  dnsmasq-base iptables debootstrap rsync libarchive-tools openssh-client)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

conf=/etc/libvirt/qemu.conf
if ! grep -q '^user = "root"' "$conf"; then
  log "letting libvirt's QEMU run as root ($conf)"
  printf '\n# tsbpf (vm/vagrant-host.sh): QEMU reads boxes and kernels under /root\nuser = "root"\ngroup = "root"\n' >> "$conf"
fi

# Without systemd (containers, this CI machine) nothing starts the daemons.
if [[ ! -d /run/systemd/system ]]; then
  if ! pgrep -x virtlogd >/dev/null; then
    log "starting virtlogd"
    virtlogd --daemon
  fi
  if ! pgrep -x libvirtd >/dev/null; then
    log "starting libvirtd"
    mkdir -p /run/libvirt
    libvirtd --daemon
    for _ in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
  fi
else
  systemctl start virtlogd libvirtd
fi
virsh -c qemu:///system version >/dev/null || { log "libvirtd does not answer"; exit 1; }

# vagrant-libvirt puts box images into the "default" storage pool.
if ! virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
  log "creating the libvirt storage pool \"default\" (/var/lib/libvirt/images)"
  mkdir -p /var/lib/libvirt/images
  virsh -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
  virsh -c qemu:///system pool-autostart default >/dev/null
fi
virsh -c qemu:///system pool-info default | grep -q 'State:.*running' || virsh -c qemu:///system pool-start default >/dev/null

log "ready: $(vagrant --version), vagrant-libvirt $(vagrant plugin list 2>/dev/null | sed -n 's/^vagrant-libvirt (\([^,]*\).*/\1/p'), libvirt $(virsh -c qemu:///system version | sed -n 's/^Using library: libvirt //p')"
