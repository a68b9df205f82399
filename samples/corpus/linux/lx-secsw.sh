#!/bin/sh
# T1518.001: security products looked for by name.
ls /opt/CrowdStrike /etc/audit > /dev/null 2>&1
cat /etc/audit/auditd.conf > /dev/null
ps | grep -e auditd -e falcon -e osquery > /dev/null
