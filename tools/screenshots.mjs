// Screenshots of the README, taken in a real browser on a running demo database.
//
//   ./run.sh &                                   # Odoo with the demo data on :8069
//   npm install --prefix /tmp/pw playwright-core # once, outside the repository
//   NODE_PATH=/tmp/pw/node_modules node tools/screenshots.mjs
//
// Environment: ODOO_URL (http://localhost:8069), CHROMIUM (/usr/bin/chromium).
import { createRequire } from "node:module";

// require() (unlike import) honours NODE_PATH, so playwright-core stays outside the repository.
const { chromium } = createRequire(import.meta.url)("playwright-core");

const base = process.env.ODOO_URL || "http://localhost:8069";
const out = new URL("../reconquete_client/static/description/", import.meta.url).pathname;

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const page = await browser.newPage({ viewport: { width: 1920, height: 820 } });
await page.goto(`${base}/web/login`);
await page.fill("input[name=login]", "admin");
await page.fill("input[name=password]", "admin");
await page.click("button[type=submit]");
await page.waitForURL(/\/odoo/);

// The board, every client (the default "My Clients" filter removed).
await page.goto(`${base}/odoo/reconquete`);
await page.locator(".o_kanban_record").first().waitFor();
await page.locator(".o_facet_remove").first().click();
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}reconquete_kanban.png` });

// A strategic client slipping away: its Reconquête tab and its activities.
await page.setViewportSize({ width: 1500, height: 1250 });
await page.locator(".o_kanban_record", { hasText: "Hôtel des Alpes" }).click();
await page.locator(".o_notebook .nav-link[name='reconquete']").click();
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}reconquete_partner_tab.png` });

await browser.close();
console.log(`screenshots written to ${out}`);
