#!/usr/bin/env bash
# Assembles the ActiveMQ Classic $ACTIVEMQ_VERSION distribution the brokers run
# (tests, demo, benchmarks, the broker image) into
# $CACHE_ROOT/activemq-$ACTIVEMQ_VERSION-<key>/ and prints that directory
# (ACTIVEMQ_HOME) on stdout; logs go to stderr. <key> is a hash of the recipe
# (this script, artifacts.lock, patches/*.diff and $ACTIVEMQ_VERSION): a
# changed recipe builds a new directory, an unchanged one is reused.
#
#   broker/assemble.sh                  the distribution
#   broker/assemble.sh --update-lock    the same, asking mvn for every artifact
#                                       anew and rewriting artifacts.lock
#   broker/assemble.sh --fetch <g:a:v[:type[:classifier]]>...
#                                       only fetch and check those artifacts;
#                                       prints their paths
#
# Every artifact comes from Maven Central through mvn, is kept in
# $CACHE_ROOT/broker-downloads/<groupId>/ and is checked against its SHA-256 in
# artifacts.lock before each use. A mismatch, or an artifact the lock does not
# list, stops the run. The lock also lists what Maven Central does not serve
# ("absent"); those are not asked for, so the lock alone decides which of the
# paths below the assembly takes. README.md beside this script says more.
#
# 1. Preferred: the binary distribution,
#    org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin.
# 2. When that is not served (the case for 5.16.8): assemble $ACTIVEMQ_VERSION
#    from jars. The layout (bin/, conf/, webapps/, third-party jars) comes from
#    the $ACTIVEMQ_FALLBACK_DIST_VERSION tarball. Every org.apache.activemq jar
#    is replaced by its $ACTIVEMQ_VERSION build, and the Jetty jars by
#    $ACTIVEMQ_FALLBACK_JETTY_VERSION (from 5.16.7 to 5.16.8 the parent POM
#    changes only the Jetty version). A module whose $ACTIVEMQ_VERSION jar is
#    not served (activemq-leveldb-store among them) is cut out of
#    activemq-all-$ACTIVEMQ_VERSION, which bundles those classes unshaded.
#    Parts with neither (bin/activemq.jar = activemq-run, webapps/admin = the
#    web console war) stay at the fallback version.
# Either way the patches in patches/ are compiled into fix jars that load
# ahead of the jars they change (each patch's header says what and why),
# guava's missing failureaccess jar is added, leveldbjni gets its native
# library and the Prometheus JMX exporter agent is added as
# agent/jmx_prometheus_javaagent.jar. AMQ-KEEPER-ASSEMBLY.txt in the result lists what came from where.
# Needs mvn, java/javac/jar (JDK 11+), tar, unzip, patch, cmp, sha256sum.
set -euo pipefail
# shellcheck source=../hack/lib.sh
source "$(dirname "$0")/../hack/lib.sh"
BROKER_DIR="$(cd "$(dirname "$0")" && pwd)"
LOCK="$BROKER_DIR/artifacts.lock"
DL_DIR="$CACHE_ROOT/broker-downloads"
STAMP=.amq-keeper-complete

# Changing any version here is a version bump: regenerate the lock (README.md).
ACTIVEMQ_FALLBACK_DIST_VERSION=5.16.7
ACTIVEMQ_FALLBACK_JETTY_FROM=9.4.50.v20221201
ACTIVEMQ_FALLBACK_JETTY_VERSION=9.4.53.v20231009
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
# The Prometheus JMX exporter Java agent (the brokers' metrics endpoint).
JMX_EXPORTER_VERSION=1.0.1

USAGE="usage: broker/assemble.sh [--update-lock | --fetch <groupId:artifactId:version[:type[:classifier]]>...]"
MODE=assemble
case "${1:-}" in
  "") ;;
  --update-lock) MODE=update; [ $# = 1 ] || die "$USAGE" ;;
  --fetch) MODE=fetch; shift; [ $# -gt 0 ] || die "$USAGE" ;;
  *) die "$USAGE" ;;
esac

# The files that decide what the assembly produces (README.md does not).
recipe_key() {
  { echo "activemq $ACTIVEMQ_VERSION"
    (cd "$BROKER_DIR" && sha256sum assemble.sh artifacts.lock patches/*.diff)
  } | sha256sum | cut -c1-16
}

if [ "$MODE" != update ]; then
  [ -f "$LOCK" ] || die "$LOCK is missing; write it with: bash broker/assemble.sh --update-lock (see broker/README.md)"
fi
if [ "$MODE" = assemble ]; then
  HOME_DIR="$CACHE_ROOT/activemq-$ACTIVEMQ_VERSION-$(recipe_key)"
  if [ -f "$HOME_DIR/$STAMP" ]; then echo "$HOME_DIR"; exit 0; fi
fi

TMP="$(mktemp -d "$CACHE_ROOT/.activemq-assemble.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# --update-lock records into a new lock, written only when the assembly succeeded.
ACTIVE_LOCK="$LOCK"
if [ "$MODE" = update ]; then ACTIVE_LOCK="$TMP/artifacts.lock.new"; : > "$ACTIVE_LOCK"; fi

# mvn_copy <outdir> <g:a:v[:type[:classifier]]> [mvn options]: 0 when copied.
mvn_copy() {
  local out="$1" c="$2"
  shift 2
  command -v mvn >/dev/null || die "mvn not found on PATH (needed to fetch $c)"
  mvn -B -q "$@" "$DEP_PLUGIN:copy" -Dartifact="$c" -DoutputDirectory="$out" \
    -Dmdep.overWriteReleases=true >"$TMP/mvn.log" 2>&1
}

# dl_path <coords>: where the download of coords is kept (mvn's file name).
dl_path() {
  local g a v t cl
  IFS=: read -r g a v t cl <<< "$1"
  echo "$DL_DIR/$g/$a-$v${cl:+-$cl}.${t:-jar}"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# lock_entry <coords> <lock>: the digest, "absent", or nothing.
lock_entry() { awk -v c="$1" '!/^#/ && $2 == c { print $1; exit }' "$2"; }

# probe <coords> (--update-lock): downloads coords anew and records its
# digest, or records it absent when Maven Central does not have it. Any other
# mvn failure (network, proxy) stops, so it is never recorded as absent.
# -U asks Central again about what mvn remembers as missing; -C fails a
# download whose checksum disagrees with Central's.
probe() {
  local c="$1" f
  f="$(dl_path "$c")"
  rm -rf "$TMP/probe"
  if mvn_copy "$TMP/probe" "$c" -U -C; then
    mkdir -p "$(dirname "$f")" && mv -f "$TMP/probe/$(basename "$f")" "$f" \
      || die "mvn did not write $(basename "$f") for $c"
    echo "$(sha256_of "$f") $c" >> "$ACTIVE_LOCK"
    log "lock: $c"
  elif grep -Eq 'Could not find artifact|was not found in' "$TMP/mvn.log"; then
    echo "absent $c" >> "$ACTIVE_LOCK"
    log "lock: $c is not served (absent)"
  else
    cat "$TMP/mvn.log" >&2
    die "mvn failed on $c (see above), and not because Maven Central lacks it; nothing recorded"
  fi
}

# served <coords>: 0 when the lock has a digest for coords, 1 when it records
# them as not served. Stops when the lock does not know coords.
served() {
  local c="$1" e
  e="$(lock_entry "$c" "$ACTIVE_LOCK")"
  if [ -z "$e" ] && [ "$MODE" = update ]; then probe "$c"; e="$(lock_entry "$c" "$ACTIVE_LOCK")"; fi
  case "$e" in
    absent) return 1 ;;
    "") die "$c is not in broker/artifacts.lock, so it cannot be checked. If the recipe needs it on purpose (a version bump, a new patch), regenerate the lock: bash broker/assemble.sh --update-lock (see broker/README.md)" ;;
  esac
}

# check <file> <coords> <sha256> <file as named to the user>
check() {
  local got
  got="$(sha256_of "$1")"
  [ "$got" = "$3" ] && return 0
  die "$4 ($2) does not match broker/artifacts.lock
  expected sha256 $3
  actual   sha256 $got
If that file is damaged or was changed, delete it and run again to fetch it anew.
If the artifact changed on purpose (a version bump), regenerate the lock: bash broker/assemble.sh --update-lock (see broker/README.md)."
}

# fetch <coords> [what it is needed for]: sets FETCHED to the download of
# coords, checked against the lock. Only downloads that matched are kept.
# Not for `if` conditions (use served there): set -e would not stop in it.
fetch() {
  local c="$1" why="${2:-}" want f g a v
  served "$c" || die "$c${why:+ ($why)} is recorded as not served in broker/artifacts.lock; if Maven Central serves it now, regenerate the lock: bash broker/assemble.sh --update-lock"
  want="$(lock_entry "$c" "$ACTIVE_LOCK")"
  f="$(dl_path "$c")"
  if [ -f "$f" ]; then
    check "$f" "$c" "$want" "$f"
  else
    rm -rf "$TMP/dl"
    mvn_copy "$TMP/dl" "$c" || { cat "$TMP/mvn.log" >&2; die "mvn could not fetch $c${why:+ ($why)}, which broker/artifacts.lock lists"; }
    IFS=: read -r g a v _ <<< "$c"
    check "$TMP/dl/$(basename "$f")" "$c" "$want" \
      "$(basename "$f") as mvn copied it from its local repository ($HOME/.m2/repository/${g//.//}/$a/$v/ unless maven.repo.local is set)"
    mkdir -p "$(dirname "$f")"
    mv -f "$TMP/dl/$(basename "$f")" "$f"
  fi
  FETCHED="$f"
}

if [ "$MODE" = fetch ]; then
  for c in "$@"; do fetch "$c"; echo "$FETCHED"; done
  exit 0
fi
command -v java >/dev/null || die "java not found on PATH"

# apply_patch <file in patches/> <source file> <what it is>: no fuzz, so a
# patch applies only to the source it was written against.
apply_patch() {
  patch -s --fuzz=0 --no-backup-if-mismatch -p1 "$2" < "$BROKER_DIR/patches/$1" > "$TMP/patch.log" 2>&1 \
    || { cat "$TMP/patch.log" >&2; die "broker/patches/$1 does not apply to $3"; }
}

# fetch_dist <version> <destdir>: the bin tarball extracted into destdir.
fetch_dist() {
  local v="$1" dest="$2"
  fetch "org.apache.activemq:apache-activemq:$v:tar.gz:bin"
  mkdir -p "$TMP/x-$v"
  tar -xzf "$FETCHED" -C "$TMP/x-$v"
  [ -f "$TMP/x-$v/apache-activemq-$v/bin/activemq.jar" ] || die "unexpected layout in $FETCHED"
  mv "$TMP/x-$v/apache-activemq-$v" "$dest"
}

# patch_zk_client <dist>: patches/01-zookeeper-3779-static-host-provider.diff
# into lib/optional/zookeeper-<ver>-jdk14-fix.jar.
patch_zk_client() {
  local d="$1" zkjar ver src w fixjar
  zkjar="$(ls "$d"/lib/optional/zookeeper-3.4.*.jar 2>/dev/null | grep -v -- '-fix\.jar$' | head -n1 || true)"
  if [ -z "$zkjar" ]; then log "no ZooKeeper 3.4 client in lib/optional; nothing to patch"; return 0; fi
  ver="$(basename "$zkjar" .jar)"; ver="${ver#zookeeper-}"
  fixjar="$d/lib/optional/zookeeper-$ver-jdk14-fix.jar"
  command -v javac >/dev/null || die "javac not found; needed to patch the ZooKeeper $ver client for Java 14+"
  w="$TMP/zkfix"; rm -rf "$w"; mkdir -p "$w/src" "$w/classes"
  fetch "org.apache.zookeeper:zookeeper:$ver:jar:sources" "the sources of the ZooKeeper $ver client, to patch it"
  (cd "$w/src" && unzip -q "$FETCHED" org/apache/zookeeper/client/StaticHostProvider.java)
  src="$w/src/org/apache/zookeeper/client/StaticHostProvider.java"
  apply_patch 01-zookeeper-3779-static-host-provider.diff "$src" "the StaticHostProvider.java of ZooKeeper $ver"
  javac -nowarn -encoding UTF-8 --release 8 -d "$w/classes" \
    -cp "$zkjar:$(ls "$d"/lib/slf4j-api-*.jar | head -n1)" "$src" 2> "$w/javac.log" \
    || { cat "$w/javac.log" >&2; die "javac failed on the patched StaticHostProvider"; }
  rm -f "$fixjar"
  jar --create --file "$fixjar" -C "$w/classes" .
  echo "lib/optional/zookeeper-$ver-jdk14-fix.jar: org.apache.zookeeper.client.StaticHostProvider of $ver recompiled with the ZOOKEEPER-3779 fix (the $ver client cannot connect on Java 14+); shadows the class in zookeeper-$ver.jar" >> "$REPORT"
}

# leveldb_store_jar <dist>: sets ldb (the activemq-leveldb-store jar in
# lib/optional, not the fix jar) and ver (its version) for the patch steps.
leveldb_store_jar() {
  ldb="$(ls "$1"/lib/optional/activemq-leveldb-store-*.jar 2>/dev/null | grep -v -- '-fix\.jar$' | head -n1 || true)"
  [ -n "$ldb" ] || die "no activemq-leveldb-store jar in $1/lib/optional"
  ver="$(basename "$ldb" .jar)"; ver="${ver#activemq-leveldb-store-}"
}

# add_to_fix_jar <dist> <ver> <classes dir> <what>: puts patched store classes
# into lib/optional/activemq-leveldb-store-<ver>-amq-keeper-fix.jar, which
# sorts (and loads) ahead of activemq-leveldb-store-<ver>.jar, and records
# <what> in the assembly report.
add_to_fix_jar() {
  local f="$1/lib/optional/activemq-leveldb-store-$2-amq-keeper-fix.jar"
  if [ -f "$f" ]; then jar --update --file "$f" -C "$3" .; else jar --create --file "$f" -C "$3" .; fi
  echo "lib/optional/$(basename "$f"): $4; shadows the class(es) in activemq-leveldb-store-$2.jar" >> "$REPORT"
}

# store_sources_version <store version>: sets srcver, the version whose
# activemq-leveldb-store sources are patched: <store version> when its sources
# are served, else the fallback version (5.16.8 publishes no sources).
store_sources_version() {
  srcver="$1"
  served "org.apache.activemq:activemq-leveldb-store:$srcver:jar:sources" || srcver="$ACTIVEMQ_FALLBACK_DIST_VERSION"
}

# patch_zkclient <dist>: patches/02-zkclient-connected-once.diff, then
# patches/05-group-znodes-digest-acl.diff, into the store's fix jar (see
# add_to_fix_jar).
patch_zkclient() {
  local d="$1" ldb ver w cls srcver cp j
  leveldb_store_jar "$d"
  cls=org/apache/activemq/leveldb/replicated/groups/ZKClient
  w="$TMP/zkclientfix"; rm -rf "$w"; mkdir -p "$w/src" "$w/classes" "$w/cmp"
  store_sources_version "$ver"
  if [ "$srcver" != "$ver" ]; then
    # Other sources only if their compiled ZKClient is byte-identical to the one being patched.
    fetch "org.apache.activemq:activemq-leveldb-store:$srcver" "to compare its ZKClient with $ver's"
    (cd "$w/cmp" && mkdir a b && unzip -q -d a "$ldb" "$cls.class" && unzip -q -d b "$FETCHED" "$cls.class")
    cmp -s "$w/cmp/a/$cls.class" "$w/cmp/b/$cls.class" \
      || die "ZKClient of activemq-leveldb-store $ver differs from $srcver; no matching sources to patch"
  fi
  fetch "org.apache.activemq:activemq-leveldb-store:$srcver:jar:sources" "to patch ZKClient"
  (cd "$w/src" && unzip -q "$FETCHED" "$cls.java")
  apply_patch 02-zkclient-connected-once.diff "$w/src/$cls.java" "the ZKClient.java of activemq-leveldb-store $srcver"
  apply_patch 05-group-znodes-digest-acl.diff "$w/src/$cls.java" "the ZKClient.java of activemq-leveldb-store $srcver with patch 02"
  cp="$ldb"
  for j in "$d"/lib/optional/org.linkedin.*.jar "$d"/lib/optional/zookeeper-3.*.jar "$d"/lib/slf4j-api-*.jar; do cp="$cp:$j"; done
  # compile-only: OSGi API (ZKClient declares its exceptions)
  for j in osgi.cmpn osgi.core; do
    fetch "org.osgi:$j:6.0.0" "compile-only, for ZKClient"
    cp="$cp:$FETCHED"
  done
  javac -nowarn -encoding UTF-8 --release 8 -d "$w/classes" -cp "$cp" "$w/src/$cls.java" 2> "$w/javac.log" \
    || { cat "$w/javac.log" >&2; die "javac failed on the patched ZKClient"; }
  add_to_fix_jar "$d" "$ver" "$w/classes" "$cls (sources of $srcver) patched for the double onConnected() startup race (NPE in ZooKeeperTreeTracker.raiseEvents) and, with zkPassword, to create the group and member znodes with a digest ACL (world may only read)"
}

# patch_store_scala <dist> <patch> <class> <what> [<source>...]: <patch> to
# <class>.scala of the store, into the store's fix jar. The store is Scala:
# scalac 2.11.12 (the release line of the distribution's scala-library 2.11.11;
# 2.11.12 runs on Java 17) must first reproduce the shipped classes of <class>
# byte for byte from the unpatched sources, so the patched classes differ only
# by the patch. Each <source> (a path in the sources jar) is compiled ahead of
# <class>.scala, as the module's build did, where the order in which scalac
# meets <class>'s members decides how it orders and numbers them; only
# <class>'s own classes are compared and kept.
patch_store_scala() {
  local d="$1" patch="$2" cls="$3" what="$4" ldb ver w srcver sc scp="" cpath n a s
  local -a srcs=()
  shift 4
  leveldb_store_jar "$d"
  w="$TMP/scala-${patch%.diff}"; rm -rf "$w"; mkdir -p "$w/src" "$w/shipped"
  (cd "$w/shipped" && unzip -q "$ldb" "$cls.class" "$cls\$*.class")
  store_sources_version "$ver"
  fetch "org.apache.activemq:activemq-leveldb-store:$srcver:jar:sources" "to patch $(basename "$cls")"
  (cd "$w/src" && unzip -q "$FETCHED" "$@" "$cls.scala")
  for s in "$@" "$cls.scala"; do srcs+=("$w/src/$s"); done
  sc=2.11.12
  for a in scala-compiler scala-reflect scala-library; do
    fetch "org.scala-lang:$a:$sc" "scalac $sc, to patch $(basename "$cls")"
    scp="${scp:+$scp:}$FETCHED"
  done
  cpath="$(ls "$d"/lib/*.jar "$d"/lib/optional/*.jar | grep -v -- '-fix\.jar$' | tr '\n' ':')"
  # scalac_to <dir>: <class>'s classes, compiled from the sources as they are now.
  scalac_to() {
    rm -rf "$w/out" && mkdir -p "$w/out" "$1"
    java -Xss8m -cp "$scp" scala.tools.nsc.Main -usejavacp:false -nowarn -classpath "$cpath" -d "$w/out" "${srcs[@]}" > "$w/scalac.log" 2>&1 \
      && [ -f "$w/out/$cls.class" ] || { cat "$w/scalac.log" >&2; die "scalac $sc failed on $(basename "$cls").scala"; }
    (cd "$w/out" && find "$(dirname "$cls")" -maxdepth 1 \( -name "$(basename "$cls").class" -o -name "$(basename "$cls")\$*.class" \) \
      -exec cp --parents {} "$1/" \;)
  }
  scalac_to "$w/plain"
  diff -r -q "$w/shipped" "$w/plain" >/dev/null \
    || die "scalac $sc does not reproduce $(basename "$cls") of activemq-leveldb-store $ver from the $srcver sources; not patching"
  apply_patch "$patch" "$w/src/$cls.scala" "the $(basename "$cls").scala of activemq-leveldb-store $srcver"
  scalac_to "$w/classes"
  # Same class names as shipped, so every shipped one is shadowed.
  n="$(cd "$w/classes" && find . -name '*.class' | sort)"
  [ "$n" = "$(cd "$w/shipped" && find . -name '*.class' | sort)" ] \
    || die "the patched $(basename "$cls") compiles to other class names than the shipped one"
  add_to_fix_jar "$d" "$ver" "$w/classes" "$cls (sources of $srcver, scalac $sc) $what"
}

# fix_distribution <dist>: the patches and the missing parts, in one place for
# both ways of getting the distribution.
fix_distribution() {
  patch_zk_client "$1"
  patch_zkclient "$1"
  patch_store_scala "$1" 03-master-waits-for-unit-end.diff org/apache/activemq/leveldb/replicated/MasterLevelDBClient \
    "patched so that a send is acknowledged only once the replicas hold its unit's end record"
  patch_store_scala "$1" 04-restored-audit-keeps-configured-limits.diff org/apache/activemq/leveldb/LevelDBClient \
    "patched so that the failover producer audit restored from an index snapshot keeps the configured limits (maxFailoverProducersToTrack, failoverProducersAuditDepth)" \
    org/apache/activemq/leveldb/DBManager.scala
  patch_store_scala "$1" 06-slave-snapshot-at-its-own-position.diff org/apache/activemq/leveldb/replicated/SlaveLevelDBStore \
    "patched so that the index a slave downloads when it attaches is saved as the snapshot of the position it reflects, not of the log's end" \
    org/apache/activemq/leveldb/replicated/ReplicatedLevelDBStoreTrait.scala
  add_guava_failureaccess "$1"
  use_native_leveldb "$1"
  add_metrics_agent "$1"
}

# add_guava_failureaccess <dist>: lib/optional ships guava 31 without its
# com.google.guava:failureaccess dependency. The pure-Java LevelDB index uses
# guava's cache when it reopens a store that has data, so without the jar a
# broker with existing data (a slave promoted to master, any restart) fails
# with NoClassDefFoundError: .../InternalFutureFailureAccess and never opens
# its store (the cluster stays without a master).
add_guava_failureaccess() {
  local d="$1" g v
  g="$(ls "$d"/lib/optional/guava-*.jar 2>/dev/null | head -n1 || true)"
  [ -n "$g" ] || return 0
  ls "$d"/lib/failureaccess-*.jar "$d"/lib/optional/failureaccess-*.jar >/dev/null 2>&1 && return 0
  v="$(unzip -p "$g" 'META-INF/maven/com.google.guava/guava/pom.xml' | tr -d ' \n\r\t' \
      | sed -n 's#.*<artifactId>failureaccess</artifactId><version>\([^<]*\)</version>.*#\1#p')"
  [ -n "$v" ] || return 0   # this guava does not need it
  fetch "com.google.guava:failureaccess:$v" "needed by $(basename "$g")"
  cp "$FETCHED" "$d/lib/optional/"
  echo "lib/optional/failureaccess-$v.jar: com.google.guava:failureaccess:$v from Maven Central (dependency of $(basename "$g") missing from the distribution)" >> "$REPORT"
}

# use_native_leveldb <dist>: lib/optional ships leveldbjni-1.8.jar without its
# native libraries, so every store falls back to the pure-Java iq80 LevelDB,
# a port the store only uses when the native one cannot load. leveldbjni-all-1.8
# carries the linux64 library; the store uses it when it loads ("Using the JNI
# LevelDB implementation" in the broker log).
use_native_leveldb() {
  local d="$1"
  ls "$d"/lib/optional/leveldbjni-all-*.jar >/dev/null 2>&1 && return 0
  fetch "org.fusesource.leveldbjni:leveldbjni-all:1.8" "without it the brokers would fall back to the pure-Java LevelDB"
  cp "$FETCHED" "$d/lib/optional/"
  rm -f "$d"/lib/optional/leveldbjni-1.8.jar
  echo "lib/optional/leveldbjni-all-1.8.jar: org.fusesource.leveldbjni:leveldbjni-all:1.8 from Maven Central, with the native library (replaces leveldbjni-1.8.jar, which has none)" >> "$REPORT"
}

# add_metrics_agent <dist>: the Prometheus JMX exporter Java agent, as
# agent/jmx_prometheus_javaagent.jar: a name without its version, so the
# entrypoint finds it in any assembly (AMQ-KEEPER-ASSEMBLY.txt records the
# version). Outside lib/: the broker's class path takes every jar there, and
# the agent must load once, as an agent, with its own shaded libraries.
add_metrics_agent() {
  local d="$1" c="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION"
  fetch "$c" "the brokers' Prometheus metrics endpoint"
  mkdir -p "$d/agent"
  cp "$FETCHED" "$d/agent/jmx_prometheus_javaagent.jar"
  echo "agent/jmx_prometheus_javaagent.jar: $c from Maven Central (the Prometheus JMX exporter Java agent; the entrypoint loads it when the node has a metrics port)" >> "$REPORT"
}

# write_lock (--update-lock): what this run recorded becomes artifacts.lock,
# one artifact a line, sorted; the changes are logged for review.
write_lock() {
  {
    echo "# SHA-256 of every artifact broker/assemble.sh takes from Maven Central (through"
    echo "# mvn), and \"absent\" for each it asks for that Maven Central does not serve (the"
    echo "# recipe then takes another path). Every download is checked against this file"
    echo "# before use. Written by: bash broker/assemble.sh --update-lock (broker/README.md)."
    echo "# <sha256 | absent> <groupId:artifactId:version[:type[:classifier]]>"
    LC_ALL=C sort -k2,2 -u "$ACTIVE_LOCK" | awk '{ printf "%-64s %s\n", $1, $2 }'
  } > "$TMP/artifacts.lock"
  if [ ! -f "$LOCK" ]; then
    log "broker/artifacts.lock: written, $(grep -vc '^#' "$TMP/artifacts.lock") artifacts"
  elif cmp -s "$LOCK" "$TMP/artifacts.lock"; then
    log "broker/artifacts.lock: unchanged"
  else
    log "broker/artifacts.lock: rewritten; changed lines (< old, > new):"
    diff "$LOCK" "$TMP/artifacts.lock" | grep '^[<>]' >&2 || true
  fi
  cp "$TMP/artifacts.lock" "$LOCK"
}

install_result() {
  local home
  [ "$MODE" != update ] || write_lock
  home="$CACHE_ROOT/activemq-$ACTIVEMQ_VERSION-$(recipe_key)"
  touch "$1/$STAMP"
  if [ -f "$home/$STAMP" ]; then
    log "$home is already complete (same recipe); keeping it"
  else
    rm -rf "$home"
    mv -T "$1" "$home"
  fi
  log "ActiveMQ $ACTIVEMQ_VERSION ready in $home"
  echo "$home"
}

REPORT="$TMP/assembly.txt"
if served "org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin"; then
  log "fetching org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin"
  fetch_dist "$ACTIVEMQ_VERSION" "$TMP/dist"
  echo "official binary distribution apache-activemq-$ACTIVEMQ_VERSION-bin.tar.gz" > "$REPORT"
  fix_distribution "$TMP/dist"
  cp "$REPORT" "$TMP/dist/AMQ-KEEPER-ASSEMBLY.txt"
  install_result "$TMP/dist"
  exit 0
fi

log "the $ACTIVEMQ_VERSION tarball is not served (broker/artifacts.lock); assembling $ACTIVEMQ_VERSION from jars" \
  "on the layout of the $ACTIVEMQ_FALLBACK_DIST_VERSION tarball"
FROM="$ACTIVEMQ_FALLBACK_DIST_VERSION"
served "org.apache.activemq:apache-activemq:$FROM:tar.gz:bin" \
  || die "neither apache-activemq $ACTIVEMQ_VERSION nor $FROM (tar.gz:bin) is served"
fetch_dist "$FROM" "$TMP/dist"
D="$TMP/dist"
{
  echo "ActiveMQ $ACTIVEMQ_VERSION assembled by broker/assemble.sh"
  echo "layout, scripts, conf/, webapps/ and unchanged third-party jars: apache-activemq-$FROM-bin.tar.gz"
} > "$REPORT"

# groupId of a jar: from META-INF/maven/<g>/<artifactId>/pom.properties inside it.
group_of() {
  local jar="$1" aid="$2"
  unzip -Z1 "$jar" 2>/dev/null | sed -n "s#^META-INF/maven/\([^/]*\)/$aid/pom.properties\$#\1#p" | head -n1
}

# activemq-all-$ACTIVEMQ_VERSION bundles (unshaded) the classes of most
# ActiveMQ modules, so a module whose own jar is not served can be cut out of it.
ALL="$D/activemq-all-$ACTIVEMQ_VERSION.jar"
fetch "org.apache.activemq:activemq-all:$ACTIVEMQ_VERSION" "to assemble $ACTIVEMQ_VERSION"
cp "$FETCHED" "$ALL"
rm -f "$D/activemq-all-$FROM.jar"
echo "activemq-all-$ACTIVEMQ_VERSION.jar: org.apache.activemq:activemq-all:$ACTIVEMQ_VERSION from Maven Central" >> "$REPORT"
unzip -Z1 "$ALL" | sort > "$TMP/all.lst"

# cut_from_all <old jar> <artifactId> <new jar>: rebuilds the module jar from
# activemq-all when every class/resource of the old jar exists there and
# activemq-all carries that module at $ACTIVEMQ_VERSION. META-INF descriptors
# (service files, spring.handlers/schemas) come from the old jar, since
# activemq-all merges them.
cut_from_all() {
  local old="$1" aid="$2" out="$3" w="$TMP/cut-$2" props
  props="META-INF/maven/org.apache.activemq/$aid/pom.properties"
  grep -qx "$props" "$TMP/all.lst" || return 1
  unzip -p "$ALL" "$props" | grep -q "^version=$ACTIVEMQ_VERSION\$" || return 1
  unzip -Z1 "$old" | grep -v '/$' | grep -v '^META-INF/' | sort > "$TMP/cut.lst"
  [ -s "$TMP/cut.lst" ] || return 1
  [ -z "$(comm -23 "$TMP/cut.lst" "$TMP/all.lst")" ] || return 1
  rm -rf "$w" && mkdir -p "$w"
  (cd "$w" && unzip -q "$old" 'META-INF/*' -x 'META-INF/maven/*' 'META-INF/MANIFEST.MF' 2>/dev/null || true)
  (cd "$w" && unzip -q -o "$ALL" "META-INF/maven/org.apache.activemq/$aid/*" && xargs -a "$TMP/cut.lst" unzip -q -o "$ALL")
  unzip -p "$old" META-INF/MANIFEST.MF | tr -d '\r' | sed "s/$FROM/$ACTIVEMQ_VERSION/g" > "$TMP/cut.mf"
  rm -f "$out"
  (cd "$w" && jar --create --file "$out" --manifest "$TMP/cut.mf" .)
}

swapped=0
cut=0
kept=0
while IFS= read -r jar; do
  base="$(basename "$jar")"
  case "$base" in
    *-"$FROM".jar) old="$FROM"; new="$ACTIVEMQ_VERSION" ;;
    *-"$ACTIVEMQ_FALLBACK_JETTY_FROM".jar) old="$ACTIVEMQ_FALLBACK_JETTY_FROM"; new="$ACTIVEMQ_FALLBACK_JETTY_VERSION" ;;
    *) continue ;;
  esac
  aid="${base%-"$old".jar}"
  g="$(group_of "$jar" "$aid")"
  [ -n "$g" ] || die "cannot tell the groupId of $jar"
  dir="$(dirname "$jar")"
  rel="${dir#"$D"}"; rel="${rel#/}"; rel="${rel:+$rel/}"
  if served "$g:$aid:$new"; then
    fetch "$g:$aid:$new"
    cp "$FETCHED" "$dir/" && rm -f "$jar"
    echo "$rel$aid-$new.jar: $g:$aid:$new from Maven Central" >> "$REPORT"
    swapped=$((swapped + 1))
  elif [ "$g" = org.apache.activemq ] && cut_from_all "$jar" "$aid" "$dir/$aid-$new.jar"; then
    rm -f "$jar"
    echo "$rel$aid-$new.jar: classes of $aid $new cut out of activemq-all-$new.jar ($g:$aid:$new is not served)" >> "$REPORT"
    cut=$((cut + 1))
  else
    echo "$rel$base: KEPT at $old ($g:$aid:$new is not served)" >> "$REPORT"
    kept=$((kept + 1))
  fi
done < <(find "$D" -name '*.jar' | sort)
log "jars: $swapped fetched, $cut cut out of activemq-all, $kept kept at the old version (see AMQ-KEEPER-ASSEMBLY.txt)"
LDB_NEW="$D/lib/optional/activemq-leveldb-store-$ACTIVEMQ_VERSION.jar"

# bin/activemq.jar (activemq-run) has no version in its name.
if served "org.apache.activemq:activemq-run:$ACTIVEMQ_VERSION"; then
  fetch "org.apache.activemq:activemq-run:$ACTIVEMQ_VERSION"
  cp "$FETCHED" "$D/bin/activemq.jar"
  echo "bin/activemq.jar: org.apache.activemq:activemq-run:$ACTIVEMQ_VERSION from Maven Central" >> "$REPORT"
else
  echo "bin/activemq.jar: activemq-run $FROM (no $ACTIVEMQ_VERSION build served; launcher only)" >> "$REPORT"
fi
if served "org.apache.activemq:activemq-web-console:$ACTIVEMQ_VERSION:war"; then
  fetch "org.apache.activemq:activemq-web-console:$ACTIVEMQ_VERSION:war"
  rm -rf "$D/webapps/admin" && mkdir -p "$D/webapps/admin"
  (cd "$D/webapps/admin" && unzip -q "$FETCHED" -x 'WEB-INF/lib/*')
  echo "webapps/admin: activemq-web-console-$ACTIVEMQ_VERSION.war from Maven Central" >> "$REPORT"
else
  echo "webapps/admin: web console of $FROM (no $ACTIVEMQ_VERSION war served)" >> "$REPORT"
fi

# The parts the brokers' core depends on must be at $ACTIVEMQ_VERSION.
# activemq-openwire-legacy (the older OpenWire versions' unmarshallers) holds
# half of 5.16.8's fix for CVE-2025-27533, activemq-client the other half.
for core in activemq-broker activemq-client activemq-openwire-legacy activemq-kahadb-store activemq-spring activemq-console; do
  [ -f "$D/lib/$core-$ACTIVEMQ_VERSION.jar" ] || die "lib/$core-$ACTIVEMQ_VERSION.jar could not be fetched"
done
[ -f "$LDB_NEW" ] || die "$LDB_NEW missing"
fix_distribution "$D"
cp "$REPORT" "$D/AMQ-KEEPER-ASSEMBLY.txt"
install_result "$D"
