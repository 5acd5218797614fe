#!/usr/bin/env bash
# Headless audio for tests and CI: a private PulseAudio server with a null sink, a null
# source looped into it (keeps the sink's monitor flowing in real time) and the sink's
# monitor as the default source. PortAudio's ALSA `pulse`/`default` devices then play
# into the sink, and what is played can be recorded back from the monitor.
#
#   scripts/headless-audio.sh start    # idempotent; prints `export PULSE_SERVER=...` lines
#   scripts/headless-audio.sh env      # the same lines, for `eval "$(... env)"`
#   scripts/headless-audio.sh status   # exit 0 when the server answers
#   scripts/headless-audio.sh stop     # idempotent
#
# Works as root with no session bus: everything lives in $VASIM_PULSE_DIR
# (default /tmp/vasim-pulse-$UID), nothing in the user's home or /run.
set -euo pipefail
DIR="${VASIM_PULSE_DIR:-/tmp/vasim-pulse-$(id -u)}"
SOCK="$DIR/native"
SINK=vasim_sink

env_lines() {
  echo "export PULSE_SERVER=unix:$SOCK"
  echo "export PULSE_RUNTIME_PATH=$DIR/runtime"
  echo "export PULSE_COOKIE=$DIR/cookie"
}

pa_env() {
  export PULSE_RUNTIME_PATH="$DIR/runtime" PULSE_STATE_PATH="$DIR/state" PULSE_COOKIE="$DIR/cookie"
  export PULSE_SERVER="unix:$SOCK" HOME="$DIR/home" XDG_RUNTIME_DIR="$DIR/runtime" XDG_CONFIG_HOME="$DIR/config"
  unset DBUS_SESSION_BUS_ADDRESS
}

running() { ( pa_env; pactl info >/dev/null 2>&1 ); }

start() {
  command -v pulseaudio >/dev/null || { echo "headless-audio: pulseaudio is not installed (run scripts/system-deps.sh)" >&2; exit 2; }
  if running; then env_lines; return 0; fi
  mkdir -p "$DIR"/{runtime,state,home,config}
  chmod 700 "$DIR" "$DIR/runtime"
  rm -f "$SOCK" "$DIR/runtime/pid"
  cat > "$DIR/default.pa" <<PA
load-module module-native-protocol-unix auth-anonymous=1 socket=$SOCK
load-module module-null-sink sink_name=$SINK rate=48000 sink_properties=device.description=vasim-null-sink
load-module module-null-source source_name=vasim_null_source rate=48000
load-module module-loopback source=vasim_null_source sink=$SINK latency_msec=30 source_dont_move=true sink_dont_move=true
set-default-sink $SINK
set-default-source $SINK.monitor
PA
  cat > "$DIR/daemon.conf" <<PA
exit-idle-time = -1
flat-volumes = no
default-sample-rate = 48000
PA
  (
    pa_env
    # as root PulseAudio warns that it is "not intended to be run as root" and carries on
    pulseaudio --daemonize=yes --system=false --exit-idle-time=-1 -n -F "$DIR/default.pa" \
      --use-pid-file=yes --log-target=file:"$DIR/pulse.log" --disable-shm=yes 2>>"$DIR/pulse.log"
  ) || true
  for _ in $(seq 50); do running && break; sleep 0.1; done
  if ! running; then
    echo "headless-audio: PulseAudio did not start; see $DIR/pulse.log" >&2
    tail -5 "$DIR/pulse.log" >&2 || true
    exit 1
  fi
  env_lines
}

stop() {
  if running; then ( pa_env; pactl exit >/dev/null 2>&1 || true ); fi
  for _ in $(seq 30); do running || break; sleep 0.1; done
  if [ -f "$DIR/runtime/pid" ]; then
    pid=$(cat "$DIR/runtime/pid" 2>/dev/null || true)
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  fi
  rm -f "$SOCK"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  status) running ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
