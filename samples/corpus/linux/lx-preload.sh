#!/bin/sh
# T1574.006: a library named in /etc/ld.so.preload is loaded into every dynamically linked program.
echo /usr/local/lib/libcorpus.so > /etc/ld.so.preload
