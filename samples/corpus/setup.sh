#!/bin/sh
# The corpus guest's environment: what a real system holds (accounts, a user's documents, logs, shell histories,
# an SSH key, an installed audit daemon) so that the techniques have something to act on. The bundle runs it as
# its own process before the techniques, outside every technique's scope. All contents are dummies.
mkdir -p /etc/audit /opt/CrowdStrike /home/user/docs /var/log /var/tmp /root/.ssh /etc/init.d /tmp/bin /usr/local/bin
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > /etc/passwd
printf 'root:x:0:\nuser:x:1000:\n' > /etc/group
printf 'root:$6$corpus$not-a-real-hash:19000:0:99999:7:::\nuser:!:19000:0:99999:7:::\n' > /etc/shadow
chmod 600 /etc/shadow
printf 'NAME="Corpus Linux"\nID=corpus\n' > /etc/os-release
printf 'nameserver 10.0.2.3\n' > /etc/resolv.conf
printf '127.0.0.1 localhost\n' > /etc/hosts
printf 'log_file = /var/log/audit/audit.log\n' > /etc/audit/auditd.conf
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do printf 'document %s\n' "$i" > /home/user/docs/doc$i.txt; done
printf 'ls\nmysql -u root -pcorpus\n' > /root/.bash_history
printf 'ls\n' > /root/.ash_history
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\ncorpus dummy\n-----END OPENSSH PRIVATE KEY-----\n' > /root/.ssh/id_rsa
printf 'Dec  6 00:00:00 corpus kernel: boot\n' > /var/log/messages
printf 'Dec  6 00:00:01 corpus sshd: session opened for root\n' > /var/log/auth.log
printf 'wtmp\n' > /var/log/wtmp
# This guest has no service manager: a stub stands in for the system's "service" tool.
printf '#!/bin/sh\necho "service $*: stub"\n' > /tmp/bin/service
chmod 755 /tmp/bin/service
