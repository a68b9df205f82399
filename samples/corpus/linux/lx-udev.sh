#!/bin/sh
# T1546.017: a udev rule that runs a program on a device event.
mkdir -p /etc/udev/rules.d
echo "ACTION==\"add\", SUBSYSTEM==\"net\", RUN+=\"/usr/local/bin/update\"" > /etc/udev/rules.d/75-corpus.rules
