#!/bin/sh
# localhost/ess-services entrypoint.
#   intake | funding | evaluation   run that service (else $ESS_SERVICE) for $ESS_PILOT: python3 -m ess_<service>
#   console                          the pilot's console for $ESS_PILOT: ess-console (python3 -m ess_console)
#   ess ARGS...                      the command line
#   anything else                    run as given (python3 -c ..., sh)
set -eu
if [ $# -gt 0 ]; then
  service=$1
  shift
else
  service=${ESS_SERVICE:-}
fi
case "$service" in
  intake|funding|evaluation)
    if [ -z "${ESS_PILOT:-}" ]; then
      echo "ess-$service: ESS_PILOT is not set (the pilot this service runs for)" >&2
      exit 64
    fi
    export ESS_SERVICE="$service"
    exec python3 -m "ess_$service" "$@"
    ;;
  console)
    if [ -z "${ESS_PILOT:-}" ]; then
      echo "ess-console: ESS_PILOT is not set (the pilot this console serves)" >&2
      exit 64
    fi
    exec /usr/local/bin/ess-console "$@"
    ;;
  ess)
    exec python3 -m ess_ops.cli.main "$@"
    ;;
  "")
    echo "usage: SERVICE (intake, funding, evaluation; or ESS_SERVICE) | console | ess ARGS | COMMAND ARGS" >&2
    exit 64
    ;;
  *)
    exec "$service" "$@"
    ;;
esac
