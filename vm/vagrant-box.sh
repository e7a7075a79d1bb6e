#!/usr/bin/env bash
# Builds the Vagrant box "tsbpf/bookworm" (libvirt provider) locally from Debian packages and adds
# it to Vagrant: Vagrant Cloud is not reachable from here. Run vm/vagrant-host.sh first.
#
#   bash vm/vagrant-box.sh [--force]      (--force rebuilds the root filesystem too)
#
# The box: Debian 12 minbase + systemd, openssh-server, sudo, rsync, gcc, bookworm's generic
# kernel, the user "vagrant" with Vagrant's insecure key and password-less sudo, and this
# machine's node + npm copied into /usr/local (Node 20 is not in Debian's archive). The disk is one
# ext4 filesystem without a partition table or boot loader: the box carries the kernel and initrd
# and boots them directly (its embedded Vagrantfile sets libvirt.kernel/initrd/cmd_line).
# Work files: .cache/vm/vagrant/ (rootfs/, box/, tsbpf-bookworm.box).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$here")/.cache/vm/vagrant
rootfs=$work/rootfs
boxdir=$work/box
box=$work/tsbpf-bookworm.box
name=tsbpf/bookworm
mirror=http://deb.debian.org/debian
disk_gb=8

log() { echo "vagrant-box: $*" >&2; }
die() { log "$*"; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root"
for t in debootstrap mke2fs qemu-img vagrant; do
  command -v "$t" >/dev/null || die "$t not found; run: bash vm/vagrant-host.sh"
done
node_bin=$(command -v node) || die "node not found on this machine"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") # .../lib/node_modules/npm
pubkey=$(find /usr/share/rubygems-integration /usr/lib/ruby /usr/share/vagrant /opt/vagrant \
  -path '*/keys/vagrant.pub' 2>/dev/null | head -n1 || true)
[[ -n $pubkey ]] || die "Vagrant's insecure public key (keys/vagrant.pub) not found"

if [[ ${1:-} == --force ]]; then rm -rf "$rootfs" "$work/rootfs.done"; fi

if [[ ! -f $work/rootfs.done ]]; then
  log "debootstrap bookworm into $rootfs (a few minutes)"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  debootstrap --variant=minbase \
    --include=systemd-sysv,udev,dbus,openssh-server,sudo,rsync,gcc,libc6-dev,ca-certificates,iproute2,procps,kmod,initramfs-tools,linux-image-amd64 \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $work/debootstrap.log"
  touch "$work/rootfs.done"
fi

log "configuring the box"
echo tsbpf > "$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tsbpf\n' > "$rootfs/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$rootfs/etc/fstab"
mkdir -p "$rootfs/etc/systemd/network"
printf '[Match]\nName=eth* en*\n\n[Network]\nDHCP=yes\n' > "$rootfs/etc/systemd/network/10-dhcp.network"
chroot "$rootfs" systemctl enable systemd-networkd >/dev/null 2>&1
chroot "$rootfs" systemctl enable ssh >/dev/null 2>&1 || true
echo 'UseDNS no' > "$rootfs/etc/ssh/sshd_config.d/vagrant.conf"
if ! chroot "$rootfs" id vagrant >/dev/null 2>&1; then
  chroot "$rootfs" useradd -m -s /bin/bash vagrant
fi
echo 'vagrant:vagrant' | chroot "$rootfs" chpasswd
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' > "$rootfs/etc/sudoers.d/vagrant"
chmod 440 "$rootfs/etc/sudoers.d/vagrant"
install -d -m 700 "$rootfs/home/vagrant/.ssh"
install -m 600 "$pubkey" "$rootfs/home/vagrant/.ssh/authorized_keys"
chroot "$rootfs" chown -R vagrant:vagrant /home/vagrant/.ssh
# Node 20 from this machine (NodeSource's build, linked against glibc like bookworm's).
install -m 755 "$node_bin" "$rootfs/usr/local/bin/node"
rm -rf "$rootfs/usr/local/lib/node_modules/npm" && mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*_Packages

log "building the disk image and the box"
rm -rf "$boxdir" && mkdir -p "$boxdir"
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n1)
release=${kernel##*/vmlinuz-}
[[ -f $rootfs/boot/initrd.img-$release ]] || die "no initrd for $release in the rootfs"
cp "$kernel" "$boxdir/vmlinuz"
cp "$rootfs/boot/initrd.img-$release" "$boxdir/initrd.img"
mke2fs -q -t ext4 -L root -d "$rootfs" -F "$work/disk.raw" "${disk_gb}G" >/dev/null
qemu-img convert -O qcow2 "$work/disk.raw" "$boxdir/box.img"
rm -f "$work/disk.raw"
printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' "$disk_gb" > "$boxdir/metadata.json"
cat > "$boxdir/Vagrantfile" <<'RUBY'
# Embedded in the tsbpf/bookworm box: boot the kernel the box carries (no boot loader on the disk).
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet"
  end
end
RUBY
tar -cf "$box" -C "$boxdir" metadata.json Vagrantfile vmlinuz initrd.img box.img
log "adding $box as $name (kernel $release)"
vagrant box add --force --name "$name" "$box" >/dev/null
# vagrant-libvirt copies the image into the storage pool once per box version: drop a stale copy.
for vol in $(virsh -c qemu:///system vol-list default 2>/dev/null | awk '/tsbpf-VAGRANTSLASH-bookworm/ {print $1}'); do
  virsh -c qemu:///system vol-delete --pool default "$vol" >/dev/null || true
done
log "done: $(du -h "$box" | cut -f1) box $name with kernel $release"
