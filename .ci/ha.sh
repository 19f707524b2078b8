# Sourced by .ci/run: starts a Redis Cluster (3 masters + 3 replicas on
# 127.0.0.1:7001-7006) and a Sentinel set (master 26001, replica 26002,
# sentinels 26011-26013), each on loopback ports of its own, and exports
# REPCOACH_TEST_CLUSTER_URL and REPCOACH_TEST_SENTINEL_URL for the tests.
ha_dir=/tmp/repcoach-ci-ha
cluster_ports=(7001 7002 7003 7004 7005 7006)

ha_wait_ping() {
  for _ in $(seq 1 50); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
  echo "ci: redis on port $1 did not answer"; return 1
}

ha_start() {
  for p in "${cluster_ports[@]}" 26001 26002 26011 26012 26013; do
    redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  done
  rm -rf "$ha_dir"; mkdir -p "$ha_dir"

  for p in "${cluster_ports[@]}"; do
    mkdir -p "$ha_dir/$p"
    redis-server --bind 127.0.0.1 --port "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000 --appendonly yes --save "" --dir "$ha_dir/$p" \
      --logfile "$ha_dir/$p/redis.log" --daemonize yes
  done
  for p in "${cluster_ports[@]}"; do ha_wait_ping "$p"; done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${cluster_ports[@]}") --cluster-replicas 1 --cluster-yes >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -p 7001 cluster info | grep -q 'cluster_state:ok' && break
    sleep 0.2
  done
  redis-cli -p 7001 cluster info | grep -q 'cluster_state:ok' || { echo "ci: Redis Cluster did not form"; return 1; }
  echo "ci: Redis Cluster up on 127.0.0.1:7001-7006 (3 masters, 3 replicas)"

  mkdir -p "$ha_dir/26001" "$ha_dir/26002"
  redis-server --bind 127.0.0.1 --port 26001 --appendonly yes --save "" --dir "$ha_dir/26001" \
    --logfile "$ha_dir/26001/redis.log" --daemonize yes
  redis-server --bind 127.0.0.1 --port 26002 --appendonly yes --save "" --dir "$ha_dir/26002" \
    --logfile "$ha_dir/26002/redis.log" --daemonize yes --replicaof 127.0.0.1 26001
  ha_wait_ping 26001; ha_wait_ping 26002
  for p in 26011 26012 26013; do
    mkdir -p "$ha_dir/$p"
    printf '%s\n' "port $p" "bind 127.0.0.1" "dir $ha_dir/$p" "logfile $ha_dir/$p/sentinel.log" "daemonize yes" \
      "sentinel monitor rcmaster 127.0.0.1 26001 2" \
      "sentinel down-after-milliseconds rcmaster 1000" \
      "sentinel failover-timeout rcmaster 5000" > "$ha_dir/$p/sentinel.conf"
    redis-server "$ha_dir/$p/sentinel.conf" --sentinel
  done
  for p in 26011 26012 26013; do ha_wait_ping "$p"; done
  for _ in $(seq 1 100); do
    redis-cli -p 26001 info replication | grep -q 'connected_slaves:1' && break
    sleep 0.2
  done
  echo "ci: Redis Sentinel set up: master 26001, replica 26002, sentinels 26011-26013"

  export REPCOACH_TEST_CLUSTER_URL="redis://127.0.0.1:7001?addr=127.0.0.1:7002&addr=127.0.0.1:7003"
  export REPCOACH_TEST_SENTINEL_URL="redis://127.0.0.1:26011?master_name=rcmaster&addr=127.0.0.1:26012&addr=127.0.0.1:26013"
}

# ha_revive restarts every node a failover test killed, as an operator
# would: a cluster master comes back as its successor's replica (its
# nodes.conf remembers the cluster), the old Sentinel master as the new
# master's replica. It returns once the cluster is whole again.
ha_revive() {
  local p
  for p in "${cluster_ports[@]}"; do
    redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && continue
    echo "ci: restarting cluster node $p"
    redis-server --bind 127.0.0.1 --port "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000 --appendonly yes --save "" --dir "$ha_dir/$p" \
      --logfile "$ha_dir/$p/redis.log" --daemonize yes
    ha_wait_ping "$p"
  done
  for p in 26001 26002; do
    redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && continue
    echo "ci: restarting sentinel-watched node $p"
    redis-server --bind 127.0.0.1 --port "$p" --appendonly yes --save "" --dir "$ha_dir/$p" \
      --logfile "$ha_dir/$p/redis.log" --daemonize yes
    ha_wait_ping "$p"
  done
  for _ in $(seq 1 150); do
    local ok=1
    for p in "${cluster_ports[@]}"; do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.2
  done
  echo "ci: Redis Cluster is not whole again"; return 1
}

ha_stop() {
  for p in 26011 26012 26013 "${cluster_ports[@]}" 26001 26002; do
    redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  done
}
