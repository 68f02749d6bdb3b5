const { chromium } = require('playwright');
const fs = require('fs');
(async () => {
  const dir = process.argv[2];
  const html = fs.readFileSync(dir + '/report.html', 'utf8');
  const data = JSON.parse(html.match(/<script type="application\/json" id="sw-data">(.*?)<\/script>/s)[1]);
  const want = data.tests.map((t) => t.key).sort();
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await b.newPage({ viewport: { width: 1360, height: 1180 } });
  await page.goto('file://' + dir + '/report.html');
  await page.waitForSelector('body[data-ready]');
  const keys = new Set();
  const box = page.locator('#tests-list');
  const height = await box.evaluate((b) => b.scrollHeight);
  console.log('scrollHeight', height, 'clientHeight', await box.evaluate((b) => b.clientHeight));
  for (let y = 0; ; y += 300) {
    await box.evaluate((b, top) => { b.scrollTop = top; b.dispatchEvent(new Event('scroll')); }, y);
    const ks = await page.$$eval('#tests-list .vrow', (rs) => rs.map((x) => x.dataset.key));
    for (const k of ks) keys.add(k);
    if (y > height) break;
  }
  const got = [...keys];
  console.log('want', want.length, 'got', got.length, 'dupe-free', new Set(got).size);
  console.log('missing', want.filter((k) => !keys.has(k)).slice(0, 10));
  console.log('extra', got.filter((k) => !want.includes(k)).slice(0, 10));
  await b.close();
})();
