#!/usr/bin/env node
// The `ymesh` command. This file is committed (the bin link target exists before any build);
// the CLI itself is compiled from src/cli to dist/cli by `npm run build`.
import { main } from '../dist/cli/main.js'

await main(process.argv.slice(2))
