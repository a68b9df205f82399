#!/bin/sh
# T1547.006: a kernel module loaded with insmod (a dummy file here: the kernel refuses it, the attempt is the fact).
echo "not a module" > /var/tmp/corpus.ko
insmod /var/tmp/corpus.ko 2>/dev/null
true
