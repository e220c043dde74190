#!/bin/sh
# The example's program: prints its greeting and configuration.
cat /app/data/greeting.txt
cat /app/config.ini
