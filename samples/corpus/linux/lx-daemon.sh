#!/bin/sh
# T1036.005: a program named like the SSH daemon, run from a temporary directory (busybox answers
# "applet not found": the name is what matters).
cp /bin/busybox /var/tmp/sshd
/var/tmp/sshd -D 2>/dev/null
true
