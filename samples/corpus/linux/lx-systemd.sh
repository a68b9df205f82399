#!/bin/sh
# T1543.002: a systemd service unit that starts a program at boot.
mkdir -p /etc/systemd/system
printf "[Service]\nExecStart=/usr/local/bin/update\n[Install]\nWantedBy=multi-user.target\n" > /etc/systemd/system/updater.service
