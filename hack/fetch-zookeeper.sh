#!/usr/bin/env bash
# Fetches the Apache ZooKeeper $ZOOKEEPER_VERSION server jar and its runtime
# dependencies from Maven Central (mvn dependency:copy-dependencies of a tiny
# generated pom) into $CACHE_ROOT/zookeeper-<ver>/lib, plus a quiet
# logback.xml in $CACHE_ROOT/zookeeper-<ver>/conf. Idempotent. Prints the
# $CACHE_ROOT/zookeeper-<ver> directory on stdout; logs go to stderr.
# Run the server with: java -cp "<dir>/lib/*:<dir>/conf" \
#   org.apache.zookeeper.server.quorum.QuorumPeerMain <zoo.cfg>
source "$(dirname "$0")/lib.sh"

ZK_DIR="$CACHE_ROOT/zookeeper-$ZOOKEEPER_VERSION"
STAMP="$ZK_DIR/.amq-keeper-complete"
if [ -f "$STAMP" ]; then echo "$ZK_DIR"; exit 0; fi
command -v mvn >/dev/null || die "mvn not found on PATH (needed to fetch ZooKeeper)"

rm -rf "$ZK_DIR"
mkdir -p "$ZK_DIR/lib" "$ZK_DIR/conf"
cat > "$ZK_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>amqkeeper.local</groupId>
  <artifactId>zookeeper-server-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <!-- the zookeeper pom marks metrics-core and snappy-java "provided", though
       the server needs them (the official tarball ships them); their versions
       come from ZooKeeper's parent pom -->
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.zookeeper</groupId>
        <artifactId>parent</artifactId>
        <version>$ZOOKEEPER_VERSION</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.dropwizard.metrics</groupId>
      <artifactId>metrics-core</artifactId>
    </dependency>
    <dependency>
      <groupId>org.xerial.snappy</groupId>
      <artifactId>snappy-java</artifactId>
    </dependency>
    <dependency>
      <groupId>org.apache.zookeeper</groupId>
      <artifactId>zookeeper</artifactId>
      <version>$ZOOKEEPER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
log "fetching org.apache.zookeeper:zookeeper:$ZOOKEEPER_VERSION and its dependencies"
mvn -B -q -f "$ZK_DIR/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$ZK_DIR/lib" >&2 \
  || die "mvn could not fetch org.apache.zookeeper:zookeeper:$ZOOKEEPER_VERSION (set ZOOKEEPER_VERSION in hack/versions.env to a served 3.8.x/3.9.x)"
[ -f "$ZK_DIR/lib/zookeeper-$ZOOKEEPER_VERSION.jar" ] || die "zookeeper-$ZOOKEEPER_VERSION.jar missing after mvn"

# ZooKeeper 3.8+ logs through logback; without a config it logs DEBUG.
cat > "$ZK_DIR/conf/logback.xml" <<'XML'
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} [myid:%X{myid}] %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="${zookeeper.root.level:-INFO}"><appender-ref ref="CONSOLE"/></root>
</configuration>
XML
touch "$STAMP"
log "ZooKeeper $ZOOKEEPER_VERSION in $ZK_DIR ($(ls "$ZK_DIR/lib" | wc -l) jars)"
echo "$ZK_DIR"
