#!/bin/sh
# Benign administration (no technique): configuration under /etc, a service's log appended to and archived, a
# helper script installed and run, ordinary applets. Runs without the corpus environment (bundle.sh --bare), and
# the whole guest, its boot included, must give no medium or high finding.
mkdir -p /etc/myapp /var/log /var/backups /usr/local/bin
printf "port=8080\nlog=/var/log/myapp.log\n" > /etc/myapp/app.conf
cp /etc/myapp/app.conf /etc/myapp/app.conf.bak
echo "127.0.0.1 myapp.local" >> /etc/hosts
echo "$(date) myapp configured" >> /var/log/myapp.log
tar czf /var/backups/logs.tgz /var/log
gzip -c /var/log/myapp.log > /var/backups/myapp.log.gz
printf "#!/bin/sh\necho ok\n" > /usr/local/bin/hello.sh
chmod 755 /usr/local/bin/hello.sh
/usr/local/bin/hello.sh > /dev/null
ls -l /etc > /dev/null
sort /etc/hosts | wc -l > /dev/null
sed -n 1p /etc/myapp/app.conf > /dev/null
grep -c port /etc/myapp/app.conf > /dev/null
date > /dev/null
