#!/usr/bin/env bash
# Build the stand-in manager's installers, one per line of lab/manager/versions:
#   build/manager/Manager-Linux-<version>.x64.sh   shell header (installer.sh) + tar payload (jar)
#   build/manager/<file>.sha256, build/manager/SHA256SUMS
# Compiles with the host's javac when there is one, else in the lab's jdk image.
# Does nothing when the inputs are unchanged (a stamp holds their hash), and the output is
# reproducible: fixed timestamps, owners and file order in the jar and the tar, so an
# unchanged source gives the same sha256 with the same JDK.
# Environment: DSM_BUILD_IN_CONTAINER=1 forces the container build; DSM_BUILD_FORCE=1 ignores the stamp.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/manager
cd "$root"

versions=()
while read -r version schema extra; do
  [[ -z ${version:-} || $version == \#* ]] && continue
  [[ $version =~ ^[0-9]+(\.[0-9]+)*$ && ${schema:-} =~ ^[0-9]+$ && -z ${extra:-} ]] ||
    { echo "build.sh: bad line in $here/versions: '$version $schema $extra' (want: <version> <schema>)" >&2; exit 2; }
  versions+=("$version:$schema")
done <"$here/versions"
(( ${#versions[@]} )) || { echo "build.sh: $here/versions lists no version" >&2; exit 2; }

report() {
  for vs in "${versions[@]}"; do
    f=Manager-Linux-${vs%%:*}.x64.sh
    printf '%s  version %s schema %s  sha256 %s\n' "${out#"$root"/}/$f" "${vs%%:*}" "${vs##*:}" "$(cut -d' ' -f1 "$out/$f.sha256")"
  done
}

sources=("$here/build.sh" "$here/versions" "$here/installer.sh" "$here"/src/dsm/*.java)
hash=$(for f in "${sources[@]}"; do echo "== ${f#"$root"/}"; cat "$f"; done | sha256sum | cut -d' ' -f1)
if [[ ${DSM_BUILD_FORCE:-} != 1 && -f $out/.stamp && $(cat "$out/.stamp") == "$hash" ]]; then
  echo "build.sh: manager installers up to date" >&2
  report
  exit 0
fi

if [[ ${DSM_BUILD_IN_CONTAINER:-} != 1 ]] && command -v javac >/dev/null && command -v jar >/dev/null; then
  jdk() { "$@"; }
  echo "build.sh: compiling with $(javac -version 2>&1)" >&2
else
  image=$("$root/lab/images/build.sh" jdk)
  # The repository is mounted at the same path, so paths mean the same inside and out.
  jdk() { docker run --rm --user "$(id -u):$(id -g)" -v "$root:$root" -w "$root" "$image" "$@"; }
  echo "build.sh: compiling in container $image" >&2
fi

rm -f "$out/.stamp"
work=$out/.work
rm -rf "$work" "$out"/Manager-Linux-* "$out/SHA256SUMS"
mkdir -p "$work/classes"
jdk javac --release 17 -encoding UTF-8 -Xlint:all -d "$work/classes" "$here"/src/dsm/*.java
mapfile -t classes < <(cd "$work/classes" && find . -name '*.class' | LC_ALL=C sort)

for vs in "${versions[@]}"; do
  version=${vs%%:*} schema=${vs##*:}
  v=$work/$version
  mkdir -p "$v/res/dsm" "$v/payload"
  printf 'version=%s\nschema=%s\n' "$version" "$schema" >"$v/res/dsm/build.properties"
  args=()
  for c in "${classes[@]}"; do args+=(-C "$work/classes" "$c"); done
  # --date fixes every entry's timestamp; entries are listed in a sorted, fixed order.
  jdk jar --create --date=1980-01-01T00:00:02Z --file "$v/payload/dsm-manager.jar" --main-class dsm.Main \
    "${args[@]}" -C "$v/res" dsm/build.properties
  f=Manager-Linux-$version.x64.sh
  {
    sed -e "s/@VERSION@/$version/g" -e "s/@SCHEMA@/$schema/g" "$here/installer.sh"
    tar -c -f - --format=gnu --mtime=@0 --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 \
      -C "$v/payload" dsm-manager.jar
  } >"$work/$f"
  chmod 0755 "$work/$f"
  mv "$work/$f" "$out/$f"
  (cd "$out" && sha256sum "$f" >"$f.sha256")
done

(cd "$out" && sha256sum Manager-Linux-*.x64.sh >SHA256SUMS)
rm -rf "$work"
echo "$hash" >"$out/.stamp"
report
