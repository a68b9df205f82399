#!/bin/sh
# T1564.001: a payload hidden in a dot-directory under /tmp.
mkdir -p /tmp/.cache-x
cp /bin/busybox /tmp/.cache-x/.kd
