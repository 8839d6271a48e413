# Written by dsb init: starts the dsb bridge on 127.0.0.1:{{port}} (Claude Code's ANTHROPIC_BASE_URL).
$ErrorActionPreference = 'Stop'
$PSNativeCommandArgumentPassing = 'Standard'
{{command}}
