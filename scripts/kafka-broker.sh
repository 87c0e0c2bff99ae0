#!/usr/bin/env bash
# A single-node Apache Kafka 4.x broker (KRaft: broker and controller in one JVM) for development,
# tests and CI, run from the broker jars on Maven Central. No Docker needed: Java 17 and Maven.
#
#   scripts/kafka-broker.sh start     # resolve the jars (once), format, start, wait until it answers
#   scripts/kafka-broker.sh stop      # stop it (SIGTERM, SIGKILL after 30 s); its data is kept
#   scripts/kafka-broker.sh restart   # stop, then start on the same data
#   scripts/kafka-broker.sh status    # exit 0 if a broker answers on the port
#   scripts/kafka-broker.sh reset     # stop and delete its data (the next start formats afresh)
#
# `start` does nothing when a broker already answers on the port (idempotent). `npm run kafka`
# runs `start`, `npm run kafka -- stop` stops it.
#
# Environment (all optional):
#   KAFKA_PORT             client port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT + 1)
#   KAFKA_STATE_DIR        pid, log, config and the data folder's path (default .cache/kafka/broker-<port>)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xms128m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
#
# Jars: `scripts/kafka/pom.xml` pins the version; Maven copies the broker and its runtime
# dependencies into .cache/kafka/libs-<version> (git ignores .cache). Data: a temporary folder
# (mktemp) made on the first start, kept across stop/start so a restarted broker has its topics
# and offsets, deleted by `reset`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pom="$root/scripts/kafka/pom.xml"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
state="${KAFKA_STATE_DIR:-$root/.cache/kafka/broker-$port}"
heap="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
timeout="${KAFKA_START_TIMEOUT:-90}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
libs="$root/.cache/kafka/libs-$version"

log() { printf '[kafka-broker] %s\n' "$*" >&2; }

# Does a Kafka broker answer on the port? (a metadata request through kafkajs when installed,
# else an open TCP port)
answers() {
  if [ -d "$root/node_modules/kafkajs" ]; then
    node "$root/scripts/kafka/ready.cjs" "127.0.0.1:$port" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

pid_alive() {
  [ -f "$state/broker.pid" ] && kill -0 "$(cat "$state/broker.pid")" 2>/dev/null
}

resolve_jars() {
  [ -f "$libs/.complete" ] && return 0
  command -v mvn >/dev/null || { log "mvn is not installed: cannot resolve the broker jars"; return 1; }
  command -v java >/dev/null || { log "java is not installed: cannot run the broker"; return 1; }
  log "resolving org.apache.kafka:kafka_2.13:$version and its runtime dependencies from Maven Central into $libs"
  local started=$SECONDS
  rm -rf "$libs"
  mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
  log "resolved $(ls "$libs" | grep -c '\.jar$') jars in $((SECONDS - started)) s"
}

write_config() {
  local data="$1"
  cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
  cat >"$state/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

java_command() {
  # shellcheck disable=SC2206 # heap is a list of options
  java_cmd=(java $heap -XX:+UseSerialGC -Djava.awt.headless=true -Dlog4j2.configurationFile="$state/log4j2.properties" -cp "$libs/*")
}

start() {
  if answers; then
    log "a broker already answers on 127.0.0.1:$port: nothing to do"
    return 0
  fi
  mkdir -p "$state"
  if pid_alive; then
    log "broker process $(cat "$state/broker.pid") is starting: waiting for it"
  else
    resolve_jars
    java_command
    local data=""
    [ -f "$state/data-dir" ] && data="$(cat "$state/data-dir")"
    if [ -z "$data" ] || [ ! -f "$data/meta.properties" ]; then
      data="$(mktemp -d "${TMPDIR:-/tmp}/postledger-kafka-$port.XXXXXX")"
      echo "$data" >"$state/data-dir"
      write_config "$data"
      local cluster_id
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
      log "formatting storage in $data (cluster $cluster_id)"
      "${java_cmd[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" >>"$state/broker.log" 2>&1 \
        || { log "formatting failed:"; tail -n 20 "$state/broker.log" >&2; return 1; }
    else
      write_config "$data"
      log "reusing the data in $data"
    fi
    log "starting Kafka $version on 127.0.0.1:$port (controller 127.0.0.1:$controller_port), log: $state/broker.log"
    setsid "${java_cmd[@]}" kafka.Kafka "$state/server.properties" >>"$state/broker.log" 2>&1 </dev/null &
    echo $! >"$state/broker.pid"
  fi
  local started=$SECONDS
  until answers; do
    if ! pid_alive; then
      log "the broker exited during start-up; last lines of its log:"
      tail -n 30 "$state/broker.log" >&2
      return 1
    fi
    if ((SECONDS - started >= timeout)); then
      log "no answer on 127.0.0.1:$port after ${timeout} s; last lines of its log:"
      tail -n 30 "$state/broker.log" >&2
      return 1
    fi
    sleep 0.5
  done
  log "broker answers on 127.0.0.1:$port (pid $(cat "$state/broker.pid" 2>/dev/null || echo '?'), ready in $((SECONDS - started)) s)"
}

stop() {
  if ! pid_alive; then
    rm -f "$state/broker.pid"
    log "no broker started by this script runs on port $port"
    return 0
  fi
  local pid
  pid="$(cat "$state/broker.pid")"
  log "stopping broker $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$state/broker.pid"
  log "stopped"
}

reset() {
  stop
  if [ -f "$state/data-dir" ]; then
    local data
    data="$(cat "$state/data-dir")"
    case "$data" in
      */postledger-kafka-*) rm -rf "$data" ;;
    esac
    rm -f "$state/data-dir"
  fi
  log "data deleted"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) if answers; then log "answers on 127.0.0.1:$port"; else log "no broker answers on 127.0.0.1:$port"; exit 1; fi ;;
  reset) reset ;;
  *) echo "usage: $0 start|stop|restart|status|reset" >&2; exit 2 ;;
esac
