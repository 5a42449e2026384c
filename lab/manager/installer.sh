#!/bin/sh
# Manager-Linux-@VERSION@.x64.sh: lab stand-in for the vendor's manager + relay installer
# (version @VERSION@, database schema @SCHEMA@). This POSIX shell header is followed by a
# tar payload holding the manager's jar; lab/manager/build.sh puts them together.
# The header checks arguments and prerequisites only. All work happens in the JVM
# (dsm.Main install), so one database connection holds the install lock for the whole run.
# Only the response file's path is handed to java: secrets never appear on a command line.
set -eu

version=@VERSION@
schema=@SCHEMA@
jdbc_jar=/usr/share/java/postgresql.jar
me=$(basename "$0")

usage() {
  cat <<USAGE
Usage: $me -q -console -varfile FILE

Installs, upgrades or adds a node of the manager (lab stand-in $version, database
schema $schema) unattended, answering from FILE (Java properties: the vendor's
response-file keys, e.g. DatabaseScreen.Hostname=db.example:5432).

  -q            unattended mode (required)
  -console      console mode (required)
  -varfile FILE the response file (required); keep it mode 0600, it holds passwords
  -h            this help

Environment:
  DSM_SCHEMA_MIGRATION_SECONDS  how long a schema migration takes (default 20)

Exit status: 0 done, 2 bad arguments or response file, 3 refused (downgrade,
another install in progress, NewNode mismatch), 4 database unreachable, 1 other.
Nothing is changed when the exit status is 2, 3 or 4.
USAGE
}

die() {
  echo "$me: $*" >&2
  exit 2
}

quiet=false console=false varfile=
while [ $# -gt 0 ]; do
  case $1 in
    -q) quiet=true ;;
    -console) console=true ;;
    -varfile)
      [ $# -ge 2 ] || die "-varfile needs a file name"
      varfile=$2
      shift ;;
    -h) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
  shift
done
{ $quiet && $console; } || die "only unattended installs are supported: pass -q -console -varfile FILE"
[ -n "$varfile" ] || die "-varfile FILE is required"
[ -r "$varfile" ] || die "cannot read response file '$varfile'; pass an existing file readable by root with -varfile"
[ "$(id -u)" -eq 0 ] || die "must run as root (it installs /opt/dsm and the dsm_s service)"
command -v java >/dev/null 2>&1 || die "java not found; install a Java 17 runtime (Debian: openjdk-17-jre-headless)"
[ -r "$jdbc_jar" ] || die "$jdbc_jar not found; install the PostgreSQL JDBC driver (Debian: libpostgresql-jdbc-java)"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found; the manager runs as the systemd service dsm_s"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsm-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
line=$(awk '/^__DSM_PAYLOAD_BELOW__$/ { print NR; exit }' "$0")
tail -n +"$((line + 1))" "$0" | tar -x -f - -C "$tmp"

rc=0
java -Xmx256m -Dsun.net.inetaddr.ttl=10 -cp "$tmp/dsm-manager.jar:$jdbc_jar" dsm.Main install "$varfile" || rc=$?
exit $rc
# shellcheck disable=SC2317 # the marker line: the payload follows it, never executed
__DSM_PAYLOAD_BELOW__
