// Bundles a page script (the receiver panel's analytics.js snippet) with @segment/analytics-next for
// the browser: one self-contained file, every dynamically imported chunk inlined, nothing fetched
// from Segment's CDN at run time.
//
//   node bundle.cjs ENTRY.js OUT.js   (NODE_PATH = the node_modules `make node-deps` installed)
'use strict'
const esbuild = require('esbuild')

const [entry, outfile] = process.argv.slice(2)
esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  nodePaths: (process.env.NODE_PATH || '').split(require('path').delimiter).filter(Boolean),
  logLevel: 'warning',
}).catch((err) => {
  console.error(err && err.message ? err.message : String(err))
  process.exit(1)
})
