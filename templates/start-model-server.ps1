# Written by dsb init: starts {{title}} for Claude Code via the dsb bridge.
# Regenerate with `dsb init`, or print the command with `dsb launch {{backend}} --shell powershell`.
$ErrorActionPreference = 'Stop'
# Pass arguments to native programs verbatim (PowerShell 7.3+; ignored by Windows PowerShell 5.1).
$PSNativeCommandArgumentPassing = 'Standard'
{{command}}
