#!/bin/sh
# T1016: interfaces, routes and the resolver.
ifconfig -a > /dev/null
ip addr > /dev/null
cat /proc/net/route /etc/resolv.conf > /dev/null
