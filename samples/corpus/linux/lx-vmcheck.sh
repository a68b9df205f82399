#!/bin/sh
# T1497.001: firmware identity and virtual disks that tell a VM apart.
cat /sys/class/dmi/id/product_name /sys/class/dmi/id/sys_vendor > /dev/null 2>&1
cat /proc/scsi/scsi > /dev/null 2>&1
grep -q hypervisor /proc/cpuinfo
true
