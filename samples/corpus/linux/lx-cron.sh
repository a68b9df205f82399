#!/bin/sh
# T1053.003: a root crontab entry that starts a program every five minutes.
mkdir -p /var/spool/cron/crontabs
echo "*/5 * * * * /tmp/.update" >> /var/spool/cron/crontabs/root
