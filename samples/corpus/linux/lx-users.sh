#!/bin/sh
# T1087.001: the local accounts listed.
cat /etc/passwd > /dev/null
id > /dev/null
