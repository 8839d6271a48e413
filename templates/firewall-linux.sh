#!/bin/sh
# Written by dsb init: allows TCP {{port}} (the dsb bridge) from loopback only. Run as root:
#   sudo sh {{scriptPath}}
set -e
if command -v ufw >/dev/null 2>&1; then
  {{ufw}}
elif command -v firewall-cmd >/dev/null 2>&1; then
  {{firewalld}}
  firewall-cmd --reload
else
  echo 'neither ufw nor firewalld is installed: nothing to do (loopback traffic is not filtered by default)'
fi
