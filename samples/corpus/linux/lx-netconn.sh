#!/bin/sh
# T1049: open connections and listening sockets.
netstat -an > /dev/null
