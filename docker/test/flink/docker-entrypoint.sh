#!/usr/bin/env bash
# Test Flink base (docker/test/Dockerfile.flink): the official image's commands without flink-dist.
#   jobmanager                     a session cluster's JobManager (StandaloneSessionClusterEntrypoint)
#   standalone-job --job-classname C [args]   an application cluster running usrlib/'s jar
#   taskmanager                    a TaskManager (TaskManagerRunner)
# FLINK_PROPERTIES is appended to conf/config.yaml, as the official image does. Memory comes from
# Flink's own BashJavaUtils, as bin/config.sh computes it. Anything else runs as a command.
set -euo pipefail
FLINK_HOME=${FLINK_HOME:-/opt/flink}
CONF_DIR="$FLINK_HOME/conf"
# Flink finds usrlib/ (the application mode's job jars, loaded by the user class loader and shipped
# to the TaskManagers) next to FLINK_LIB_DIR, which flink-dist's config.sh exports.
export FLINK_LIB_DIR="$FLINK_HOME/lib"
cd "$FLINK_HOME"

# FLINK_PROPERTIES: flat "key: value" lines; each replaces the key's line in config.yaml (YAML
# refuses duplicate keys), as the official image's entrypoint merges them.
if [[ -n "${FLINK_PROPERTIES:-}" ]]; then
  while IFS= read -r line; do
    [[ "$line" =~ ^[[:space:]]*([A-Za-z0-9_.-]+):[[:space:]]*(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    awk -v k="$key:" 'index($0, k) != 1' "$CONF_DIR/config.yaml" >"$CONF_DIR/config.yaml.tmp"
    mv "$CONF_DIR/config.yaml.tmp" "$CONF_DIR/config.yaml"
    printf '%s: %s\n' "$key" "${BASH_REMATCH[2]}" >>"$CONF_DIR/config.yaml"
  done <<<"$FLINK_PROPERTIES"
fi

OPENS="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED \
--add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"
CP="$FLINK_HOME/lib/*"
LOG="-Dlog4j.configurationFile=file:$CONF_DIR/log4j-console.properties -Dlog4j2.configurationFile=file:$CONF_DIR/log4j-console.properties"

# BashJavaUtils prints BASH_JAVA_UTILS_EXEC_RESULT:<jvm params> then ...:<dynamic configs>.
resource_params() {
  local out
  out=$(java -Xmx64m -cp "$CP" $LOG org.apache.flink.runtime.util.bash.BashJavaUtils "$1" \
    --configDir "$CONF_DIR" "${@:2}" 2>&1) || { echo "$out" >&2; exit 1; }
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

cmd=${1:-help}
case "$cmd" in
  jobmanager | standalone-job)
    shift
    params=$(resource_params GET_JM_RESOURCE_PARAMS)
    mapfile -t p <<<"$params"
    if [[ "$cmd" == jobmanager ]]; then
      main=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
    else
      # flink-container (docker/test/flink/pom.xml); the job jar stays off the class path: the
      # entry point loads usrlib/ in a user class loader, as flink-dist's standalone-job.sh does.
      main=org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint
    fi
    # shellcheck disable=SC2086
    exec java ${p[0]} $OPENS $LOG ${FLINK_ENV_JAVA_OPTS:-} -cp "$CP" "$main" \
      --configDir "$CONF_DIR" ${p[1]:-} "$@"
    ;;
  taskmanager)
    shift
    params=$(resource_params GET_TM_RESOURCE_PARAMS)
    mapfile -t p <<<"$params"
    # shellcheck disable=SC2086
    exec java ${p[0]} $OPENS $LOG ${FLINK_ENV_JAVA_OPTS:-} -cp "$CP" \
      org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$CONF_DIR" ${p[1]:-} "$@"
    ;;
  help)
    sed -n '2,7p' "$0"
    ;;
  *)
    exec "$@"
    ;;
esac
