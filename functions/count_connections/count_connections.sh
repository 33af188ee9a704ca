#!/bin/bash
# Run on the instance by SSM (AWS-RunShellScript) for the napstack watchdog; prints one JSON line:
#   {"container_running": true, "listening": true, "tcp": 2, "udp_packets": 1234, "ssh": 0}
# tcp/listening/udp_packets are read inside the game container's network namespace, so the host's own
# traffic (SSM, EFS, the ECS agent) never counts as a player; ssh is read on the host (SSH and SFTP).
# udp_packets is the namespace's absolute UdpInDatagrams counter: the watchdog takes the difference.
# Needs NAPSTACK_PORT; NAPSTACK_PROTOCOL (tcp|udp, default tcp); NAPSTACK_CONTAINER_NAME (default game);
# NAPSTACK_TASK_FAMILY (the ECS task definition family; any family when empty).
set -u
port="${NAPSTACK_PORT:?NAPSTACK_PORT is required}"
protocol="${NAPSTACK_PROTOCOL:-tcp}"
name="${NAPSTACK_CONTAINER_NAME:-game}"
family="${NAPSTACK_TASK_FAMILY:-}"

pid=""
filters=(--filter "label=com.amazonaws.ecs.container-name=${name}")
if [ -n "$family" ]; then filters+=(--filter "label=com.amazonaws.ecs.task-definition-family=${family}"); fi
container_id=$(docker ps --quiet "${filters[@]}" 2>/dev/null | head -n 1)
if [ -n "$container_id" ]; then
  pid=$(docker inspect --format '{{.State.Pid}}' "$container_id" 2>/dev/null)
fi
running=false
if [ -n "$pid" ] && [ "$pid" != "0" ]; then running=true; fi

in_game_netns() {
  if [ "$running" = true ]; then nsenter --target "$pid" --net "$@"; else "$@"; fi
}

if [ "$protocol" = udp ]; then listen_flags=-Hlun; else listen_flags=-Hltn; fi
listening=$(in_game_netns ss "$listen_flags" "( sport = :${port} )" | wc -l)
tcp=$(in_game_netns ss -Htn state established "( sport = :${port} )" | wc -l)
udp_packets=$(in_game_netns nstat --ignore --noupdate --zeros UdpInDatagrams | awk '$1 == "UdpInDatagrams" {print $2}')
ssh=$(ss -Htn state established "( sport = :22 )" | wc -l)

if [ "$listening" -gt 0 ]; then listening=true; else listening=false; fi
printf '{"container_running": %s, "listening": %s, "tcp": %d, "udp_packets": %d, "ssh": %d}\n' \
  "$running" "$listening" "$tcp" "${udp_packets:-0}" "$ssh"
