#!/bin/sh
# T1486: every document renamed to a new extension, as ransomware marks the files it encrypted (the
# contents are left alone).
for f in /home/user/docs/*.txt; do mv "$f" "$f.locked"; done
