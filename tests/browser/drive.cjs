// Opens pages in Debian's Chromium with playwright-core and reports what analytics.js sent.
//
//   node drive.cjs '<json config>'   (NODE_PATH = the node_modules `make node-deps` installed)
//
// config: {chromium, receiver: "http://127.0.0.1:PORT", pages: [{url, expect: ["/v1/i", ...]}], timeoutMs}
// Prints one JSON object: {pages: [{url, sends: [{path, status, failure, messageId}], console: [...],
// errors: [...]}], outside: [urls a page tried to reach beyond loopback]}. A page is done when a
// request to every expected receiver path has finished or failed (or after timeoutMs).
'use strict'
const { chromium } = require('playwright-core')

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

async function main() {
  const config = JSON.parse(process.argv[2])
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  const outside = []
  const result = { pages: [], outside }
  try {
    for (const spec of config.pages) {
      const context = await browser.newContext()
      // Nothing beyond this computer: record and abort any such request (a CDN, Segment's API).
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url())
        if (LOOPBACK.has(url.hostname) || url.protocol === 'data:') return route.continue()
        outside.push(route.request().url())
        return route.abort()
      })
      const page = await context.newPage()
      const report = { url: spec.url, sends: [], console: [], errors: [] }
      const pending = new Set(spec.expect)
      let done
      const finished = new Promise((resolve) => { done = resolve })
      const record = async (request, failure) => {
        if (!request.url().startsWith(config.receiver) || request.method() !== 'POST') return
        const path = new URL(request.url()).pathname
        const response = failure ? null : await request.response()
        let messageId = null
        try { messageId = JSON.parse(request.postData() || '{}').messageId || null } catch (e) { /* not JSON */ }
        report.sends.push({ path, status: response ? response.status() : null, failure, messageId })
        pending.delete(path)
        if (pending.size === 0) done()
      }
      page.on('requestfinished', (request) => { record(request, null) })
      page.on('requestfailed', (request) => { record(request, request.failure()?.errorText || 'failed') })
      page.on('console', (msg) => report.console.push(`${msg.type()}: ${msg.text()}`))
      page.on('pageerror', (err) => report.errors.push(String(err)))
      await page.goto(spec.url)
      let timer
      const timeout = new Promise((resolve) => { timer = setTimeout(resolve, config.timeoutMs || 15000) })
      await Promise.race([finished, timeout])
      clearTimeout(timer)
      report.missing = [...pending]
      result.pages.push(report)
      await context.close()
    }
  } finally {
    await browser.close()
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err))
  process.exit(1)
})
