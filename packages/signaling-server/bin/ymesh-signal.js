#!/usr/bin/env node
// The `ymesh-signal` command. This file is committed so the bin link target exists before any
// build; the command itself is compiled from src/bin to dist/bin by `npm run build`.
import '../dist/bin/ymesh-signal.js'
