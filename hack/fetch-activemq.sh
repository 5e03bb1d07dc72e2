#!/usr/bin/env bash
# Puts an ActiveMQ Classic $ACTIVEMQ_VERSION distribution into
# $CACHE_ROOT/activemq-$ACTIVEMQ_VERSION/ and prints that directory
# (ACTIVEMQ_HOME) on stdout. Idempotent; logs go to stderr.
#
# 1. Preferred: the binary distribution from Maven Central,
#    org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin, via mvn.
# 2. Fallback when that artifact is not served (the case for 5.16.8 on the
#    registry this project can reach): assemble $ACTIVEMQ_VERSION from jars.
#    The layout (bin/, conf/, webapps/, third-party jars) comes from the
#    $ACTIVEMQ_FALLBACK_DIST_VERSION tarball. Every org.apache.activemq jar is
#    replaced by its $ACTIVEMQ_VERSION build, and the Jetty jars by
#    $ACTIVEMQ_FALLBACK_JETTY_VERSION (from 5.16.7 to 5.16.8 the parent POM
#    changes only the Jetty version). A module whose $ACTIVEMQ_VERSION jar is
#    not served (activemq-leveldb-store among them) is cut out of
#    activemq-all-$ACTIVEMQ_VERSION, which bundles those classes unshaded.
#    Parts with neither (bin/activemq.jar = activemq-run, webapps/admin = the
#    web console war) stay at the fallback version.
# In both cases the ZooKeeper 3.4.14 client in lib/optional gets the
# ZOOKEEPER-3779 fix (see patch_zk_client): without it replicated LevelDB
# cannot reach ZooKeeper on Java 14+ (this project runs brokers on Java 17),
# replicated LevelDB's ZKClient gets a fix for a startup race (see
# patch_zkclient), and guava's missing failureaccess jar is added (see
# add_guava_failureaccess), and the replicated LevelDB master waits for a
# unit's end record to reach its replicas before it acknowledges the unit
# (see patch_unit_sync).
# AMQ-KEEPER-ASSEMBLY.txt in the result lists exactly what came from where.
# Needs mvn, java/javac/jar (JDK 11+), tar, unzip, patch, cmp.
source "$(dirname "$0")/lib.sh"

: "${ACTIVEMQ_FALLBACK_DIST_VERSION:=5.16.7}"
: "${ACTIVEMQ_FALLBACK_JETTY_FROM:=9.4.50.v20221201}"
: "${ACTIVEMQ_FALLBACK_JETTY_VERSION:=9.4.53.v20231009}"
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1

HOME_DIR="$CACHE_ROOT/activemq-$ACTIVEMQ_VERSION"
# Bump the recipe number when the steps below change what ends up in HOME_DIR.
STAMP="$HOME_DIR/.amq-keeper-complete-recipe6"
if [ -f "$STAMP" ]; then echo "$HOME_DIR"; exit 0; fi

command -v mvn >/dev/null || die "mvn not found on PATH (needed to fetch ActiveMQ)"
command -v java >/dev/null || die "java not found on PATH"
TMP="$(mktemp -d "$CACHE_ROOT/.activemq-fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# mvn_copy <outdir> <g:a:v[:type[:classifier]]>: 0 when served and copied.
mvn_copy() {
  mvn -B -q "$DEP_PLUGIN:copy" -Dartifact="$2" -DoutputDirectory="$1" \
    -Dmdep.overWriteReleases=true >"$TMP/mvn.log" 2>&1
}

# fetch_dist <version> <destdir>: the bin tarball extracted into destdir.
fetch_dist() {
  local v="$1" dest="$2" tgz
  mkdir -p "$TMP/dl-$v"
  mvn_copy "$TMP/dl-$v" "org.apache.activemq:apache-activemq:$v:tar.gz:bin" || return 1
  tgz="$TMP/dl-$v/apache-activemq-$v-bin.tar.gz"
  [ -f "$tgz" ] || return 1
  mkdir -p "$TMP/x-$v"
  tar -xzf "$tgz" -C "$TMP/x-$v"
  [ -f "$TMP/x-$v/apache-activemq-$v/bin/activemq.jar" ] || die "unexpected layout in $tgz"
  mv "$TMP/x-$v/apache-activemq-$v" "$dest"
}

# patch_zk_client <dist>: the ZooKeeper 3.4.14 client that replicated LevelDB
# uses cannot connect on Java 14+ (ZOOKEEPER-3779: StaticHostProvider parses
# InetSocketAddress.toString(), whose format for unresolved addresses changed,
# so every connect fails with "Unable to canonicalize address
# 127.0.0.1/<unresolved>:2181"). 3.4.x got no fix. This compiles the 3.4.14
# StaticHostProvider with the upstream fix (use getHostString()) into
# lib/optional/zookeeper-<ver>-jdk14-fix.jar, which ActiveMQ's launcher puts
# ahead of zookeeper-<ver>.jar (it loads each lib dir's jars sorted by name).
patch_zk_client() {
  local d="$1" zkjar ver src w fixjar
  zkjar="$(ls "$d"/lib/optional/zookeeper-3.4.*.jar 2>/dev/null | grep -v -- '-fix\.jar$' | head -n1 || true)"
  if [ -z "$zkjar" ]; then log "no ZooKeeper 3.4 client in lib/optional; nothing to patch"; return 0; fi
  ver="$(basename "$zkjar" .jar)"; ver="${ver#zookeeper-}"
  fixjar="$d/lib/optional/zookeeper-$ver-jdk14-fix.jar"
  command -v javac >/dev/null || die "javac not found; needed to patch the ZooKeeper $ver client for Java 14+"
  w="$TMP/zkfix"; rm -rf "$w"; mkdir -p "$w/src" "$w/classes"
  mvn_copy "$w" "org.apache.zookeeper:zookeeper:$ver:jar:sources" \
    || { cat "$TMP/mvn.log" >&2; die "org.apache.zookeeper:zookeeper:$ver sources are not served; cannot patch the client"; }
  (cd "$w/src" && unzip -q "$w/zookeeper-$ver-sources.jar" org/apache/zookeeper/client/StaticHostProvider.java)
  src="$w/src/org/apache/zookeeper/client/StaticHostProvider.java"
  # replace the two-line toString() parsing with getHostString()
  # (and drop the yetus audience annotation, which is not on ActiveMQ's classpath)
  sed -i -E -e '/String addrString = addr\.toString\(\);/d' \
    -e '/^import org\.apache\.yetus\./d' -e 's/^@InterfaceAudience\.[A-Za-z]+//' \
    -e 's/hostString = addrString\.substring\(0, addrString\.lastIndexOf\(.:.\)\);/hostString = addr.getHostString(); \/\/ ZOOKEEPER-3779 (amq-keeper patch)/' "$src"
  grep -q 'hostString = addr.getHostString(); // ZOOKEEPER-3779' "$src" && ! grep -q 'addrString' "$src" \
    || die "could not apply the ZOOKEEPER-3779 fix to $ver's StaticHostProvider.java (source changed?)"
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

# patch_zkclient <dist>: fixes a startup race in replicated LevelDB's
# ZKClient (org.apache.activemq.leveldb.replicated.groups): a listener
# registered while the CONNECTED event is being dispatched got onConnected()
# twice, and ZooKeeperGroup's constructor then died with
#   NullPointerException: Cannot invoke "...NodeEventsListener.onEvents(...)"
#   because "listener" is null   (ZooKeeperTreeTracker.raiseEvents)
# so the broker exited at startup, typically when joining a group that already
# has members. Seen in about half of the broker starts on a loaded 2-core
# machine. The patched class goes into the fix jar (see add_to_fix_jar).
patch_zkclient() {
  local d="$1" ldb ver w cls srcver cp
  leveldb_store_jar "$d"
  cls=org/apache/activemq/leveldb/replicated/groups/ZKClient
  w="$TMP/zkclientfix"; rm -rf "$w"; mkdir -p "$w/src" "$w/classes" "$w/cmp" "$w/deps"
  srcver="$ver"
  if ! mvn_copy "$w" "org.apache.activemq:activemq-leveldb-store:$ver:jar:sources"; then
    # Use the fallback version's sources only if its compiled ZKClient is
    # byte-identical to the one being patched.
    srcver="$ACTIVEMQ_FALLBACK_DIST_VERSION"
    mvn_copy "$w" "org.apache.activemq:activemq-leveldb-store:$srcver:jar:sources" \
      && mvn_copy "$w" "org.apache.activemq:activemq-leveldb-store:$srcver" \
      || die "no sources of activemq-leveldb-store $ver or $srcver are served; cannot patch ZKClient"
    (cd "$w/cmp" && mkdir a b && unzip -q -d a "$ldb" "$cls.class" && unzip -q -d b "$w/activemq-leveldb-store-$srcver.jar" "$cls.class")
    cmp -s "$w/cmp/a/$cls.class" "$w/cmp/b/$cls.class" \
      || die "ZKClient of activemq-leveldb-store $ver differs from $srcver; no matching sources to patch"
  fi
  (cd "$w/src" && unzip -q "$w/activemq-leveldb-store-$srcver-sources.jar" "$cls.java")
  cat > "$w/zkclient.diff" <<'DIFF'
--- a/ZKClient.java
+++ b/ZKClient.java
@@ -272,9 +272,10 @@
             _listeners.add(listener);
 
         }
-        if (_state == State.CONNECTED) {
+        // amq-keeper patch: deliver onConnected() once, whether from here or from
+        // the dispatcher thread (see markDelivered)
+        if (_state == State.CONNECTED && markDelivered(listener, Boolean.TRUE)) {
             listener.onConnected();
-            //_stateChangeDispatcher.addEvent(null, State.CONNECTED);
         }
     }
 
@@ -284,6 +285,9 @@
             throw new IllegalStateException("listener is null");
         }
         _listeners.remove(listener);
+        synchronized (_delivered) {
+            _delivered.remove(listener);
+        }
     }
 
     @Override
@@ -374,12 +378,26 @@
         }
     }
 
+    // amq-keeper patch: the last event each listener was given, shared by the
+    // dispatcher thread and registerListener(). Upstream kept this history in
+    // the dispatcher only, so a listener registered while a CONNECTED event was
+    // being dispatched got onConnected() twice; ZooKeeperGroup's constructor
+    // then rebuilt its tree tracker with a null listener and the broker died
+    // at startup with an NPE in ZooKeeperTreeTracker.raiseEvents.
+    private final Map<Object, Boolean> _delivered = new IdentityHashMap<Object, Boolean>();
+
+    private boolean markDelivered(Object listener, Boolean event) {
+        synchronized (_delivered) {
+            Boolean previous = _delivered.put(listener, event);
+            return previous == null || !previous.equals(event);
+        }
+    }
+
     protected Map<Object, Boolean> callListeners(Map<Object, Boolean> history, Boolean connectedEvent) {
-        Map<Object, Boolean> newHistory = new IdentityHashMap<Object, Boolean>();
+        Map<Object, Boolean> newHistory = history;
         for (LifecycleListener listener : _listeners) {
-            Boolean previousEvent = history.get(listener);
             // we propagate the event only if it was not already sent
-            if (previousEvent == null || previousEvent != connectedEvent) {
+            if (markDelivered(listener, connectedEvent)) {
                 try {
                     if (connectedEvent) {
                         listener.onConnected();
@@ -390,7 +408,6 @@
                     LOG.warn("Exception while executing listener (ignored)", e);
                 }
             }
-            newHistory.put(listener, connectedEvent);
         }
         return newHistory;
     }
DIFF
  (cd "$w/src/$(dirname "$cls")" && patch -s -p1 ZKClient.java < "$w/zkclient.diff") \
    || die "the ZKClient patch does not apply to activemq-leveldb-store $srcver sources"
  # compile-only: OSGi API (ZKClient declares its exceptions)
  mvn_copy "$w/deps" org.osgi:osgi.core:6.0.0 && mvn_copy "$w/deps" org.osgi:osgi.cmpn:6.0.0 \
    || die "org.osgi:osgi.core/osgi.cmpn:6.0.0 not served (needed to compile ZKClient)"
  cp="$ldb"
  for j in "$d"/lib/optional/org.linkedin.*.jar "$d"/lib/optional/zookeeper-3.*.jar "$d"/lib/slf4j-api-*.jar "$w"/deps/*.jar; do cp="$cp:$j"; done
  javac -nowarn -encoding UTF-8 --release 8 -d "$w/classes" -cp "$cp" "$w/src/$cls.java" 2> "$w/javac.log" \
    || { cat "$w/javac.log" >&2; die "javac failed on the patched ZKClient"; }
  add_to_fix_jar "$d" "$ver" "$w/classes" "$cls (sources of $srcver) patched for the double onConnected() startup race (NPE in ZooKeeperTreeTracker.raiseEvents)"
}

# patch_unit_sync <dist>: makes the replicated LevelDB master wait for its
# replicas to hold a unit of work's end record before the unit (a send) is
# acknowledged. RecordLog.appender appends a unit's UOW_END record after the
# unit's block returns, and a slave's replay applies a unit only when it reads
# that record. Upstream MasterLevelDBClient waited for the replicas inside the
# block (its force()), so the quorum acknowledged the unit's records but not
# its end record; a master killed after it acknowledged a send and before the
# end record reached a slave left the promoted slave without that send (an
# acknowledged message lost). The promoted slave's DEBUG log shows it: its last
# replay is a unit's records (282 bytes for a small text message) without the
# 18-byte end record that follows every complete unit. The patched class
# defers the replica wait of a force() inside a unit until the end record is
# appended and flushed: one wait per unit, as before. MasterLevelDBClient is
# Scala: it is compiled with scalac 2.11.12 (the release line of the
# distribution's scala-library 2.11.11; 2.11.12 runs on Java 17), which first
# has to reproduce the shipped classes byte for byte from the unpatched
# sources, so the patched classes differ only by the patch.
patch_unit_sync() {
  local d="$1" ldb ver w cls srcver sc cp n
  leveldb_store_jar "$d"
  cls=org/apache/activemq/leveldb/replicated/MasterLevelDBClient
  w="$TMP/unitsync"; rm -rf "$w"; mkdir -p "$w/src" "$w/shipped" "$w/plain" "$w/classes" "$w/scalac"
  (cd "$w/shipped" && unzip -q "$ldb" "$cls.class" "$cls\$*.class")
  srcver="$ver"
  if ! mvn_copy "$w" "org.apache.activemq:activemq-leveldb-store:$ver:jar:sources"; then
    srcver="$ACTIVEMQ_FALLBACK_DIST_VERSION"
    mvn_copy "$w" "org.apache.activemq:activemq-leveldb-store:$srcver:jar:sources" \
      || die "no sources of activemq-leveldb-store $ver or $srcver are served; cannot patch MasterLevelDBClient"
  fi
  (cd "$w/src" && unzip -q "$w/activemq-leveldb-store-$srcver-sources.jar" "$cls.scala")
  sc=2.11.12
  for a in scala-compiler scala-reflect scala-library; do
    mvn_copy "$w/scalac" "org.scala-lang:$a:$sc" || die "org.scala-lang:$a:$sc is not served (needed to patch MasterLevelDBClient)"
  done
  cp="$(ls "$d"/lib/*.jar "$d"/lib/optional/*.jar | grep -v -- '-fix\.jar$' | tr '\n' ':')"
  scalac_to() {
    java -cp "$w/scalac/scala-compiler-$sc.jar:$w/scalac/scala-reflect-$sc.jar:$w/scalac/scala-library-$sc.jar" \
      scala.tools.nsc.Main -usejavacp:false -nowarn -classpath "$cp" -d "$1" "$w/src/$cls.scala" > "$w/scalac.log" 2>&1 \
      && [ -f "$1/$cls.class" ] || { cat "$w/scalac.log" >&2; die "scalac $sc failed on MasterLevelDBClient.scala"; }
  }
  # The unpatched sources must compile to exactly the shipped classes.
  scalac_to "$w/plain"
  diff -r -q "$w/shipped" "$w/plain" >/dev/null \
    || die "scalac $sc does not reproduce MasterLevelDBClient of activemq-leveldb-store $ver from the $srcver sources; not patching"
  cat > "$w/unitsync.diff" <<'DIFF'
--- a/MasterLevelDBClient.scala
+++ b/MasterLevelDBClient.scala
@@ -125,6 +125,30 @@
   // stores the logs on the local and remote file systems.
   override def createLog = new RecordLog(directory, LOG_SUFFIX) {
 
+    // amq-keeper patch: RecordLog.appender appends the unit's UOW_END record
+    // after this block returns, and a slave applies a unit only at that
+    // record. Waiting for the replicas inside the block acknowledged sends
+    // whose end record no replica had yet; a force() inside a unit now only
+    // marks it, and the wait runs once the end record is flushed.
+    val unit_in_progress = new ThreadLocal[java.lang.Boolean]
+    val unit_sync_to = new ThreadLocal[LogAppender]
+
+    override def appender[T](func: (LogAppender)=>T):T = {
+      unit_in_progress.set(java.lang.Boolean.TRUE)
+      var synced: LogAppender = null
+      val rc = try {
+        super.appender(func)
+      } finally {
+        unit_in_progress.remove()
+        synced = unit_sync_to.get()
+        unit_sync_to.remove()
+      }
+      if( synced!=null ) {
+        store.wal_sync_to(synced.position+synced.flushed_offset.get())
+      }
+      rc
+    }
+
     override def create_log_appender(position: Long, offset:Long) = {
       new LogAppender(next_log(position), position, offset) {
 
@@ -144,7 +168,11 @@
           }
           if( (store.syncToMask & SYNC_TO_REMOTE) != 0) {
             flush
-            store.wal_sync_to(position+flushed_offset.get())
+            if( unit_in_progress.get()!=null ) {
+              unit_sync_to.set(this)
+            } else {
+              store.wal_sync_to(position+flushed_offset.get())
+            }
           }
         }
 
DIFF
  (cd "$w/src/$(dirname "$cls")" && patch -s -p1 MasterLevelDBClient.scala < "$w/unitsync.diff") \
    || die "the MasterLevelDBClient patch does not apply to activemq-leveldb-store $srcver sources"
  scalac_to "$w/classes"
  # Same class names as shipped, so every shipped one is shadowed.
  n="$(cd "$w/classes" && find . -name '*.class' | sort)"
  [ "$n" = "$(cd "$w/shipped" && find . -name '*.class' | sort)" ] \
    || die "the patched MasterLevelDBClient compiles to other class names than the shipped one"
  add_to_fix_jar "$d" "$ver" "$w/classes" "$cls (sources of $srcver, scalac $sc) patched so that a send is acknowledged only once the replicas hold its unit's end record"
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
  mvn_copy "$d/lib/optional" "com.google.guava:failureaccess:$v" \
    || die "com.google.guava:failureaccess:$v (needed by $(basename "$g")) is not served"
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
  mvn_copy "$d/lib/optional" "org.fusesource.leveldbjni:leveldbjni-all:1.8" \
    || die "org.fusesource.leveldbjni:leveldbjni-all:1.8 is not served; the brokers would fall back to the pure-Java LevelDB"
  rm -f "$d"/lib/optional/leveldbjni-1.8.jar
  echo "lib/optional/leveldbjni-all-1.8.jar: org.fusesource.leveldbjni:leveldbjni-all:1.8 from Maven Central, with the native library (replaces leveldbjni-1.8.jar, which has none)" >> "$REPORT"
}

install_result() {
  rm -rf "$HOME_DIR"
  mv "$1" "$HOME_DIR"
  touch "$STAMP"
  log "ActiveMQ $ACTIVEMQ_VERSION ready in $HOME_DIR"
  echo "$HOME_DIR"
}

log "fetching org.apache.activemq:apache-activemq:$ACTIVEMQ_VERSION:tar.gz:bin"
if fetch_dist "$ACTIVEMQ_VERSION" "$TMP/dist"; then
  REPORT="$TMP/assembly.txt"
  echo "official binary distribution apache-activemq-$ACTIVEMQ_VERSION-bin.tar.gz" > "$REPORT"
  patch_zk_client "$TMP/dist"
  patch_zkclient "$TMP/dist"
  patch_unit_sync "$TMP/dist"
  add_guava_failureaccess "$TMP/dist"
  use_native_leveldb "$TMP/dist"
  cp "$REPORT" "$TMP/dist/AMQ-KEEPER-ASSEMBLY.txt"
  install_result "$TMP/dist"
  exit 0
fi

log "the $ACTIVEMQ_VERSION tarball is not served; assembling $ACTIVEMQ_VERSION from jars" \
  "on the layout of the $ACTIVEMQ_FALLBACK_DIST_VERSION tarball"
FROM="$ACTIVEMQ_FALLBACK_DIST_VERSION"
fetch_dist "$FROM" "$TMP/dist" || { cat "$TMP/mvn.log" >&2; die "neither apache-activemq $ACTIVEMQ_VERSION nor $FROM (tar.gz:bin) is served"; }
D="$TMP/dist"
REPORT="$TMP/assembly.txt"
{
  echo "ActiveMQ $ACTIVEMQ_VERSION assembled by hack/fetch-activemq.sh"
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
mvn_copy "$TMP/new" "org.apache.activemq:activemq-all:$ACTIVEMQ_VERSION" \
  || die "org.apache.activemq:activemq-all:$ACTIVEMQ_VERSION is not served; cannot assemble $ACTIVEMQ_VERSION"
mv "$TMP/new/activemq-all-$ACTIVEMQ_VERSION.jar" "$ALL"
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

mkdir -p "$TMP/new"
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
  if mvn_copy "$TMP/new" "$g:$aid:$new"; then
    mv "$TMP/new/$aid-$new.jar" "$dir/" && rm -f "$jar"
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
if mvn_copy "$TMP/new" "org.apache.activemq:activemq-run:$ACTIVEMQ_VERSION"; then
  mv "$TMP/new/activemq-run-$ACTIVEMQ_VERSION.jar" "$D/bin/activemq.jar"
  echo "bin/activemq.jar: org.apache.activemq:activemq-run:$ACTIVEMQ_VERSION from Maven Central" >> "$REPORT"
else
  echo "bin/activemq.jar: activemq-run $FROM (no $ACTIVEMQ_VERSION build served; launcher only)" >> "$REPORT"
fi
if mvn_copy "$TMP/new" "org.apache.activemq:activemq-web-console:$ACTIVEMQ_VERSION:war"; then
  rm -rf "$D/webapps/admin" && mkdir -p "$D/webapps/admin"
  (cd "$D/webapps/admin" && unzip -q "$TMP/new/activemq-web-console-$ACTIVEMQ_VERSION.war" -x 'WEB-INF/lib/*')
  echo "webapps/admin: activemq-web-console-$ACTIVEMQ_VERSION.war from Maven Central" >> "$REPORT"
else
  echo "webapps/admin: web console of $FROM (no $ACTIVEMQ_VERSION war served)" >> "$REPORT"
fi

# The parts the brokers' core depends on must be at $ACTIVEMQ_VERSION.
for core in activemq-broker activemq-client activemq-kahadb-store activemq-spring activemq-console; do
  [ -f "$D/lib/$core-$ACTIVEMQ_VERSION.jar" ] || die "lib/$core-$ACTIVEMQ_VERSION.jar could not be fetched"
done
[ -f "$LDB_NEW" ] || die "$LDB_NEW missing"
patch_zk_client "$D"
patch_zkclient "$D"
patch_unit_sync "$D"
add_guava_failureaccess "$D"
use_native_leveldb "$D"
cp "$REPORT" "$D/AMQ-KEEPER-ASSEMBLY.txt"
install_result "$D"
