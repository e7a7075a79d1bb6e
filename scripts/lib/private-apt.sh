# Sourced by scripts/fetch-uapi.sh and vm/kernels.sh: a private apt configuration, so that
# downloading packages of another Debian suite never reads or changes the system's apt state.
#
#   private_apt <dir> <suite> <archive-url> [signed-by keyring]
#
# Writes <dir>/etc/apt.conf (own sources, lists, cache, empty dpkg status) and exports APT_CONFIG.
# Without a keyring the archive is trusted as is (the system's keyring may not know newer suites).
private_apt() {
  local dir=$1 suite=$2 url=$3 keyring=${4:-}
  local opt="[trusted=yes]"
  [[ -n $keyring ]] && opt="[signed-by=$keyring]"
  mkdir -p "$dir/etc/empty" "$dir/lists/partial" "$dir/cache/archives/partial"
  [[ -f $dir/status ]] || : > "$dir/status"
  echo "deb $opt $url $suite main" > "$dir/etc/sources.list"
  cat > "$dir/etc/apt.conf" <<CONF
Dir::Etc::SourceList "$dir/etc/sources.list";
Dir::Etc::SourceParts "$dir/etc/empty";
Dir::Etc::Parts "$dir/etc/empty";
Dir::Etc::Preferences "$dir/etc/empty/none";
Dir::Etc::PreferencesParts "$dir/etc/empty";
Dir::State::Lists "$dir/lists";
Dir::State::Status "$dir/status";
Dir::Cache "$dir/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
APT::Default-Release "";
Acquire::Languages "none";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Acquire::Check-Valid-Until "false";
Acquire::Retries "3";
CONF
  export APT_CONFIG=$dir/etc/apt.conf
}
