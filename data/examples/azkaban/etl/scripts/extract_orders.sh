#!/bin/sh
# pulls the day's orders from the shop database
set -e
echo "extracting to $1"
