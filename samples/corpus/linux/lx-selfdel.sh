#!/bin/sh
# T1070.004: the script deletes its own file.
rm -f "$0"
