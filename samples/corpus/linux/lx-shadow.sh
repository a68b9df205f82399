#!/bin/sh
# T1003.008: the password hashes read.
cat /etc/shadow > /dev/null
