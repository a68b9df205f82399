#!/bin/sh
# Alkanet's fake "next stage": INetSim (alkanet run --network) serves this file for every URL ending in .sh
# (src/Alkanet.Vmm/Network/InetSimConfig.cs), so a downloader sample gets a harmless stage it can run.
echo "alkanet-stage2: ran as $0"
echo stage2-ran > /tmp/stage2.out
