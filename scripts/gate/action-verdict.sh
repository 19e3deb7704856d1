#!/usr/bin/env bash
# The action's last step: the job goes red unless the gate passed (exit 0).
set -u
case "${KAB_EXIT:-}" in
  0) echo "keepalive-bench gate: ${KAB_VERDICT:-pass}"; exit 0 ;;
  1) echo "::error::keepalive-bench gate failed: ${KAB_VERDICT:-fail} (regression, failed requests, lost cases, an incomplete run or not comparable; see the job summary)" ;;
  2) echo "::error::keepalive-bench: underpowered or unreadable runs (${KAB_VERDICT:-}); see the job summary" ;;
  *) echo "::error::keepalive-bench could not run the gate (exit ${KAB_EXIT:-none}); see the measuring step" ;;
esac
exit 1
