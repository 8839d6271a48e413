# Written by dsb init: allows TCP {{port}} (the dsb bridge) inbound on the Private profile, from the local
# subnet only (WSL2 reaches Windows through it). Run in an elevated PowerShell:
#   powershell -NoProfile -ExecutionPolicy Bypass -File <this file>
$ErrorActionPreference = 'Stop'
$name = {{ruleName}}
if (Get-Command New-NetFirewallRule -ErrorAction SilentlyContinue) {
  if (Get-NetFirewallRule -DisplayName $name -ErrorAction SilentlyContinue) {
    Write-Output "firewall rule '$name' already exists"
  } else {
    New-NetFirewallRule -DisplayName $name -Direction Inbound -Action Allow -Protocol TCP -LocalPort {{port}} -Profile Private -RemoteAddress LocalSubnet | Out-Null
    Write-Output "firewall rule '$name' added"
  }
} else {
  netsh advfirewall firewall add rule name=$name dir=in action=allow protocol=TCP localport={{port}} profile=private remoteip=localsubnet
}
