#!/bin/sh
# T1552.003: the shell history read (passwords typed on command lines end up there).
cat /root/.bash_history > /dev/null
