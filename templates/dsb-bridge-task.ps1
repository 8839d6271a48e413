# Written by dsb init: registers the dsb bridge (127.0.0.1:{{port}}) as a scheduled task that starts at logon.
# Run it once in PowerShell:  powershell -NoProfile -ExecutionPolicy Bypass -File <this file>
$ErrorActionPreference = 'Stop'
$action = New-ScheduledTaskAction -Execute {{program}} -Argument {{arguments}}
$trigger = New-ScheduledTaskTrigger -AtLogOn -User $env:USERNAME
$settings = New-ScheduledTaskSettingsSet -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero)
Register-ScheduledTask -TaskName 'dsb bridge' -Description 'dsb bridge for Claude Code' -Action $action -Trigger $trigger -Settings $settings -Force | Out-Null
Start-ScheduledTask -TaskName 'dsb bridge'
Write-Output 'dsb bridge task registered and started.'
