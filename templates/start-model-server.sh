#!/bin/sh
# Written by dsb init: starts {{title}} for Claude Code via the dsb bridge.
# Regenerate with `dsb init`, or print the command with `dsb launch {{backend}}`.
set -e
{{command}}
