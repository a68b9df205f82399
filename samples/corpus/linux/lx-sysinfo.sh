#!/bin/sh
# T1082: kernel, release and host name.
uname -a > /dev/null
cat /proc/version /etc/os-release > /dev/null
hostname > /dev/null
