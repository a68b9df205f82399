#!/bin/sh
# T1070.003: shell histories deleted and emptied.
rm -f /root/.bash_history
: > /root/.ash_history
