#!/bin/sh
# Re-record one trace fixture in the real sandbox: record.sh SCENARIO_DIR [timeout_seconds] [env...]
# Writes trace.log, stdout, stderr and meta.json next to the scenario's program.py / program.c.
set -eu
dir=$(cd "$1" && pwd); limit=${2:-10}; shift; [ $# -gt 0 ] && shift
envargs=""
for kv in "$@"; do envargs="$envargs -e $kv"; done
if [ -f "$dir/program.c" ]; then
    build="gcc -O0 -pthread -o /work/prog program.c &&"; cmd="/work/prog"
else
    build=""; cmd="/usr/bin/python3 program.py"
fi
tmp=$(mktemp -d)
# shellcheck disable=SC2086
docker run --rm --network none --read-only --cap-drop ALL --cap-add SYS_PTRACE --cap-add SETUID \
    --cap-add SETGID --cap-add DAC_READ_SEARCH --security-opt no-new-privileges --init --ipc private \
    --tmpfs /work:size=64m,mode=1777,exec --tmpfs /trace:size=64m,mode=0700 -v "$dir":/submission:ro \
    --pids-limit 64 --memory 256m --memory-swap 256m $envargs grader-test:1 sh -c "
cp -r /submission/. /work/ && cd /work && $build
{ ( exec 3>&1; readlink /proc/self/fd/3 > /trace/chan; exec 3>&-;
  exec timeout -s KILL $limit strace -f -q -ttt -s 4096 -x -y -o /trace/log -u student --seccomp-bpf \\
    -e trace=process,ipc,network,desc,%file,mmap,munmap,memfd_create,kill,tkill,tgkill,rt_sigqueueinfo,setsid,mknod,mknodat,pause \\
    -- $cmd 2>/trace/stderr ); echo \$? > /trace/st; mv /trace/st /trace/status; } | cat > /trace/stdout &
while [ ! -f /trace/status ]; do sleep 0.1; done; sleep 0.3;
cd /trace && tar cf - log stdout stderr chan status" > "$tmp/out.tar"
tar -C "$tmp" -xf "$tmp/out.tar"
mv "$tmp/log" "$dir/trace.log"; mv "$tmp/stdout" "$dir/stdout"; mv "$tmp/stderr" "$dir/stderr"
printf '{"stdout_channel": "%s", "stderr_channel": "/trace/stderr", "command": "%s", "timeout": %s}\n' \
    "$(cat "$tmp/chan")" "$cmd" "$limit" > "$dir/meta.json"
rm -rf "$tmp"
wc -l "$dir/trace.log"
