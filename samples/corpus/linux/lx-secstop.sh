#!/bin/sh
# T1562.001: the audit daemon stopped with the service tool (a stub in this guest, which has none).
service auditd stop
