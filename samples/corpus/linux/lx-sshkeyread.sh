#!/bin/sh
# T1552.004: root's SSH private key read.
cat /root/.ssh/id_rsa > /dev/null
