#!/bin/sh
# T1005: every document in a user's home read in one go.
cat /home/user/docs/* > /dev/null
