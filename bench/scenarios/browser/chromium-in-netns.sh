#!/bin/sh
# Runs Chromium inside the client's network namespace, for Playwright (executablePath): `ip netns exec` keeps the
# pipes Playwright talks over and execs, so the browser keeps this process's pid. chromium.ts sets the two
# variables (and checks them); Playwright appends the browser's arguments.
exec ip netns exec "$CHROMIUM_NETNS" "$CHROMIUM_BIN" "$@"
