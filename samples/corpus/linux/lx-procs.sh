#!/bin/sh
# T1057: the process list.
ps > /dev/null
