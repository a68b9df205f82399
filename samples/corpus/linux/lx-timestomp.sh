#!/bin/sh
# T1070.006: a dropped file's times set back to an old date so it blends in with the system's files.
echo implant > /var/tmp/implant.dat
touch -d "2019-03-01 10:00:00" /var/tmp/implant.dat
